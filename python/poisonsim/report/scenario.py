"""Facts the figures need from a run's resolved scenario YAML (docs/scenario.md)."""
import math
from dataclasses import dataclass

import yaml

from poisonsim.report.errors import ReportError


@dataclass
class Guard:
    type: str
    threshold: float = None  # loss-threshold: the fixed threshold; otherwise None

    def describe(self):
        if self.threshold is not None:
            return f"{self.type}, threshold {self.threshold:g}"
        return self.type


@dataclass
class AttackWindow:
    name: str
    start: float  # the scenario's window, stop clipped to the run's end
    stop: float
    first_batch: float = None  # first and last poison-batch events of this attacker
    last_batch: float = None


def parse(text, where):
    try:
        scenario = yaml.safe_load(text)
    except yaml.YAMLError as e:
        raise ReportError(where, f"the scenario attribute is not valid YAML ({e})") from None
    if not isinstance(scenario, dict):
        raise ReportError(where, "the scenario attribute is not a YAML mapping")
    return scenario


def guard_stages(scenario):
    """The `guard:` block's stages as mappings: a list of them (a chain), or one mapping."""
    block = scenario.get("guard") or {}
    stages = block if isinstance(block, list) else [block]
    return [stage for stage in stages if isinstance(stage, dict) and stage]


def stage_types(scenario):
    """{number: type} of every defense stage as samples.rejected_by numbers them (1 = the
    first): the guard's, then the sanitize list's; a missing guard counts as one stage, as in
    the C++ reader (pipeline/trace/run_metrics.h, guard_stage_types)."""
    types = [str(stage.get("type", "?")) for stage in guard_stages(scenario)]
    sanitize = scenario.get("sanitize")
    if isinstance(sanitize, list) and sanitize:
        types = (types or ["none"]) + [str(s.get("type", "?")) if isinstance(s, dict) else "?"
                                       for s in sanitize]
    return {i + 1: kind for i, kind in enumerate(types)}


def guard(scenario):
    """The guard as the loss figure needs it. A list of stages (a chain) is named as the C++
    side names it ("loss-threshold + knn"), with the first loss-threshold stage's threshold."""
    stages = guard_stages(scenario)
    if not stages:
        return Guard("none")
    kinds = [str(stage.get("type", "none")) for stage in stages]
    threshold = next((stage.get("threshold") for stage in stages
                      if stage.get("type") == "loss-threshold"), None)
    if threshold is not None:
        threshold = float(threshold)
    return Guard(" + ".join(kinds), threshold)


def _number(value, default):
    if value is None:
        return default
    try:
        number = float(value)
    except (TypeError, ValueError):
        return default
    return default if math.isnan(number) else number


def attack_windows(scenario, events, duration):
    """Each attacker's scenario window and when its poison batches actually arrived."""
    windows = []
    poison = events[events["kind"] == "poison-batch"] if len(events) else events
    for index, block in enumerate(scenario.get("attackers") or []):
        if not isinstance(block, dict):
            continue
        name = str(block.get("name") or f"attacker {index}")
        start = _number(block.get("start"), 0.0)
        stop = min(_number(block.get("stop"), duration), duration)
        window = AttackWindow(name, start, max(start, stop))
        times = poison[poison["source"] == name]["time"] if len(poison) else []
        if len(times):
            window.first_batch, window.last_batch = float(times.min()), float(times.max())
        windows.append(window)
    return windows
