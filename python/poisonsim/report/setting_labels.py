"""How a swept value reads in a legend, a tick or a title: numbers as %g, a list of named
mappings (a sweep over whole `attackers` lists) by its names, since its full YAML does not fit a
legend (the per-run override table keeps the whole value, as --set needs it)."""
import re

import numpy as np
import yaml


def setting_text(value):
    if isinstance(value, (float, np.floating)):
        return f"{value:g}"
    names = mapping_names(str(value))
    return f"[{', '.join(names)}]" if names else str(value)


def mapping_names(text):
    """The `name:` of every top-level mapping of a YAML flow list `[{name: a, ...}, ...]`, or []
    when it is not such a list or one of its mappings has no name first."""
    text = text.strip()
    if not (text.startswith("[{") and text.endswith("}]")):
        return []
    names, depth = [], 0
    for i, char in enumerate(text):
        if char in "[{":
            depth += 1
            if char == "{" and depth == 2:
                match = re.match(r"\{\s*name:\s*([^,}]+)", text[i:])
                if not match:
                    return []
                names.append(match.group(1).strip())
        elif char in "]}":
            depth -= 1
    return names


def unit(parameter, scenario_text):
    """The unit of a swept key path's values when known: "nats" for a loss-threshold guard's
    `threshold` (`guard.threshold`, or `guard.N.threshold` in a chain), a per-sample
    cross-entropy; else None."""
    match = re.fullmatch(r"guard(?:\.(\d+))?\.threshold", parameter)
    if not match:
        return None
    try:
        guard = (yaml.safe_load(scenario_text or "") or {}).get("guard")
    except (yaml.YAMLError, AttributeError):
        return None
    if match.group(1) is not None:
        index = int(match.group(1))
        guard = guard[index] if isinstance(guard, list) and index < len(guard) else None
    kind = guard.get("type") if isinstance(guard, dict) else None
    return "nats" if kind == "loss-threshold" else None


def with_unit(parameter, scenario_text):
    """An axis label for a swept key path: "guard.threshold (loss, nats)" when its unit is known
    (unit()), the path as it is otherwise."""
    return f"{parameter} (loss, nats)" if unit(parameter, scenario_text) else parameter
