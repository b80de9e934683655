#!/usr/bin/python3
"""The scenario keys documented in docs/scenario.md and docs/attacks.md are the keys the
scenario reader reads, both ways (issue 29, "a docs test").

What the reader reads comes from the reader itself: `poisonsim validate --print` prints the
resolved scenario, in which every key read (defaults included) appears. A few variant scenarios
make it read every conditional block (each guard stage, gate, attacker type, model kind, data
kind). List indexes are dropped, so `attackers.0.budget` is documented as `budget` in the
attackers table. Keys that belong to one type are checked per type: `attackers[direct].iterations`
must be in the direct method's table (or in the table every attacker shares), and a key a type's
table names must be read for that type. `poisonsim list` (the registries' types and the keys
each registration names) is held to the same tables: every registered attacker, guard, sanitizer
and gate type is in its block's type table, with exactly the keys the docs give it.

Usage: docs_keys_test.py POISONSIM SOURCE_ROOT WORK_DIR
"""
import os
import re
import subprocess
import sys

import yaml

# Section headings of docs/scenario.md's "## Keys" whose key tables sit under a key path.
SECTION_PREFIX = {
    "Top level": "",
    "streams": "streams.",
    "attackers": "attackers.",
    "evade": "attackers.evade.",
    "replay": "attackers[replay].",
}
# attacks.md's "Scenario keys (`type: T`)" tables hold attacker keys.
ATTACKS_SECTION = re.compile(r"^### Scenario keys \(`type: ([a-z-]+)`\)")

# Variants that make the reader visit every conditional block. Each is a list of --set overrides
# applied to tests/scenarios/synthetic-small.yaml.
# REPLAY_FILE is replaced by a poison file the test writes (the replay attacker reads it),
# SCORER_FILE by a TorchScript module it writes (scenarios/plugins/make_loss_scorer.py).
ALL_ATTACKERS = ("attackers=[{type: direct, evade: {}}, {type: generative, evade: {}}, "
                 "{type: label-flip, evade: {}}, {type: noise, evade: {}}, "
                 "{type: replay, file: REPLAY_FILE}]")
ALL_GUARD_STAGES = ("guard=[{type: loss-threshold}, {type: adaptive}, {type: knn}, "
                    "{type: sphere}, {type: slab}, {type: random}, {type: oracle}, "
                    "{type: torchscript, file: SCORER_FILE, input: losses, threshold: 3}]")
ALL_SANITIZERS = ("sanitize=[{type: spectral}, {type: activation-clustering}, {type: sever}, "
                  "{type: trim}, {type: per-source}]")
VARIANTS = [
    [ALL_ATTACKERS, ALL_GUARD_STAGES, ALL_SANITIZERS, "gate.type=validation",
     "attackers.0.knowledge.model=stale", "retrain.trigger=buffer",
     "attackers.1.timing=verdicts"],
    ["guard={type: none}", "gate={type: none}", "model={kind: cnn}", "data={kind: fashion-mnist}"],
    ["model={kind: torchscript, path: /dev/null}"],
    # The accumulative plan: every key given, since the window sizes have no printed default.
    ["attackers=[{type: label-flip, accumulate: {trigger_at: 50, max_accuracy_drop: 0.02, "
     "window_clean: 100, window_poison: 100}}]"],
    # SOURCE_ROOT is replaced by the source tree (the python stages read the shipped examples).
    ["guard={type: python, file: SOURCE_ROOT/scenarios/plugins/loss_threshold.py, "
     "class: LossThreshold}",
     "sanitize=[{type: python, file: SOURCE_ROOT/scenarios/plugins/centroid_sanitizer.py, "
     "class: CentroidSanitizer}]",
     "gate={type: python, file: SOURCE_ROOT/scenarios/plugins/validation_gate.py, "
     "class: ValidationGate}",
     "attackers=[{type: python, file: SOURCE_ROOT/scenarios/plugins/label_flip.py, "
     "class: LabelFlip}]"],
]
# `poisonsim list`'s blocks and the key path prefix of their docs tables.
LIST_BLOCKS = {"attackers": "attackers", "guards": "guard", "sanitizers": "sanitize",
               "gates": "gate"}


def cells(line):
    return [c.strip() for c in line.strip().strip("|").split("|")]


def backticked(text):
    return re.findall(r"`([^`]+)`", text)


def expand_keys(cell):
    """`synthetic.train` / `.test` -> synthetic.train, synthetic.test; `a`, `b` -> a, b."""
    keys = []
    parent = ""
    for token in backticked(cell):
        if token.startswith("."):
            keys.append(parent + token)
        else:
            keys.append(token)
            parent = token.rsplit(".", 1)[0] if "." in token else ""
    return keys


def keys_tables(text):
    """(line number, heading, header cells, row cells) of each data row of the tables under
    scenario.md's "## Keys", the heading being the ### or #### title above the table."""
    in_keys, title, header = False, None, None
    for number, line in enumerate(text.splitlines(), 1):
        if line.startswith("## "):
            in_keys = line.strip() == "## Keys"
            continue
        if not in_keys:
            continue
        heading = re.match(r"^#{3,4} (.*)", line)
        if heading:
            title, header = heading.group(1).strip(), None
            continue
        if not line.startswith("|"):
            header = None
            continue
        row = cells(line)
        if header is None:
            header = row
        elif not set(line) <= set("|- "):
            yield number, title, header, row


def documented_scenario_keys(text):
    """Key paths (no list indexes) in the key and type tables of scenario.md's "## Keys"."""
    keys = {}
    for number, title, header, row in keys_tables(text):
        word = title.split(":")[0].strip()
        prefix = SECTION_PREFIX.get(title, SECTION_PREFIX.get(word, word + "."))
        if header[0] == "key":
            for key in expand_keys(row[0]):
                keys.setdefault(prefix + key, f"docs/scenario.md:{number}")
        elif header[0] == "type" and len(header) > 1 and header[1] == "keys":
            keys.setdefault(prefix + "type", f"docs/scenario.md:{number}")
            typed = f"{prefix[:-1]}[{backticked(row[0])[0]}]."
            for key in backticked(row[1]):
                # The keys column also quotes values: `rule` (quantile or mean-std).
                if re.fullmatch(r"[a-z_][a-z0-9_.]*", key):
                    keys.setdefault(typed + key, f"docs/scenario.md:{number}")
    return keys


def documented_attack_keys(text):
    keys = {}
    attack_type = None
    for number, line in enumerate(text.splitlines(), 1):
        if line.startswith("#"):
            match = ATTACKS_SECTION.match(line)
            attack_type = match.group(1) if match else None
            continue
        if attack_type and line.startswith("| `"):
            for key in expand_keys(cells(line)[0]):
                keys.setdefault(f"attackers[{attack_type}].{key}", f"docs/attacks.md:{number}")
    return keys


# Blocks whose keys depend on their `type`: their paths carry it, `guard[knn].k`.
TYPED_BLOCKS = ("attackers", "guard", "gate", "sanitize")


def flatten(node, path, out):
    if path:
        out.add(path)  # the mappings above a key are keys too (`data`, `retrain.buffer`)
    if isinstance(node, dict):
        if path in TYPED_BLOCKS and "type" in node:
            out.add(path)
            path = f"{path}[{node['type']}]"
        for key, value in node.items():
            flatten(value, f"{path}.{key}" if path else str(key), out)
    elif isinstance(node, list) and node and isinstance(node[0], dict):
        for item in node:
            flatten(item, path, out)  # list indexes are dropped


def write_replay_file(work):
    """One 12 x 12 sample for tests/scenarios/synthetic-small.yaml's replay attacker."""
    import numpy as np
    path = os.path.join(work, "replay.npz")
    np.savez(path, images=np.zeros((1, 12, 12), np.uint8), labels=np.zeros(1, np.int64))
    return path


def read_keys(binary, scenario, work, root):
    keys = set()
    env = dict(os.environ, POISONSIM_CACHE_DIR=os.path.join(work, "cache"))
    replay_file = write_replay_file(work)
    scorer_file = os.path.join(work, "loss_scorer.pt")
    subprocess.run(["/usr/bin/python3", os.path.join(root, "scenarios/plugins/make_loss_scorer.py"),
                    scorer_file], check=True, capture_output=True)
    for overrides in VARIANTS:
        command = [binary, "--quiet", "validate", scenario, "--print"]
        for override in overrides:
            command += ["--set", override.replace("REPLAY_FILE", replay_file)
                        .replace("SCORER_FILE", scorer_file).replace("SOURCE_ROOT", root)]
        done = subprocess.run(command, capture_output=True, text=True, env=env, timeout=120)
        if done.returncode != 0:
            sys.exit(f"FAIL: {' '.join(command)}\n{done.stderr}")
        flatten(yaml.safe_load(done.stdout), "", keys)
    return keys


def listed_types(binary):
    """`poisonsim list`: {block: {type: [keys]}} from its "block (...)", "  type: summary" and
    "    keys: a, b" lines."""
    done = subprocess.run([binary, "list"], capture_output=True, text=True, timeout=120)
    if done.returncode != 0:
        sys.exit(f"FAIL: poisonsim list exited {done.returncode}\n{done.stderr}")
    blocks, block, kind = {}, None, None
    for line in done.stdout.splitlines():
        if not line.startswith(" "):
            block = line.split(" ")[0]
            blocks[block] = {}
        elif line.startswith("    keys: "):
            listed = line[len("    keys: "):]
            blocks[block][kind] = [] if listed == "none" else listed.split(", ")
        else:
            kind = line.strip().split(":")[0]
    return blocks


def list_problems(blocks, documented, documented_types):
    """Every listed type is in its block's type table, and its listed keys are the keys its
    docs tables name for it (a mapping such as `evade` by its section), both ways."""
    problems = []
    for block, types in blocks.items():
        prefix = LIST_BLOCKS.get(block)
        if prefix is None:
            problems.append(f"`poisonsim list` prints a block `{block}` this test does not know")
            continue
        for kind, keys in types.items():
            if kind not in documented_types.get(prefix, set()):
                problems.append(f"{block} type `{kind}` is registered (poisonsim list) but not "
                                f"in docs/scenario.md's {prefix} type table")
            typed = f"{prefix}[{kind}]."
            for key in keys:
                if typed + key not in documented and not any(
                        d.startswith(f"{prefix}.{key}.") for d in documented):
                    problems.append(f"`poisonsim list` names key `{key}` of {block} type "
                                    f"`{kind}`, which the docs do not document for it")
            for key in documented:
                if key.startswith(typed) and key[len(typed):].split(".")[0] not in keys:
                    problems.append(f"{documented[key]}: `{key}` is documented but `poisonsim "
                                    f"list` does not name it for {block} type `{kind}`")
    return problems


def documented_type_names(text):
    """{key path prefix: type names} from the type tables of scenario.md's "## Keys"."""
    names = {}
    for _, title, header, row in keys_tables(text):
        if header[0] == "type":
            names.setdefault(title.split(":")[0].strip(), set()).update(backticked(row[0])[:1])
    return names


def untyped(key):
    """attackers[direct].budget -> attackers.budget: the form of the tables all types share."""
    return re.sub(r"\[[a-z-]+\]", "", key)


def is_documented(key, documented):
    return key in documented or untyped(key) in documented


def is_read(key, read):
    return key in read or any(untyped(r) == key for r in read)


def main():
    binary, root, work = sys.argv[1:4]
    os.makedirs(work, exist_ok=True)
    scenario_md = open(os.path.join(root, "docs/scenario.md")).read()
    attacks_md = open(os.path.join(root, "docs/attacks.md")).read()
    documented = documented_scenario_keys(scenario_md)
    documented.update(documented_attack_keys(attacks_md))
    scenario = os.path.join(root, "tests/scenarios/synthetic-small.yaml")
    read = read_keys(binary, scenario, work, root)

    problems = []
    # A mapping (`retrain.buffer`) is documented by its keys' rows.
    leaves = {k for k in read if not any(r.startswith((k + ".", k + "[")) for r in read)}
    for key in sorted(leaves):
        if not is_documented(key, documented):
            problems.append(f"scenario key `{key}` is read by the scenario reader but not in "
                            f"docs/scenario.md's key tables (or docs/attacks.md's)")
    for key, line in sorted(documented.items()):
        # `sweep` is read by the sweep planner, not into a run's resolved scenario; its keys
        # are parameter paths, not names (tests/sweep_test.cpp holds the block).
        if not is_read(key, read) and key != "sweep":
            problems.append(f"{line}: scenario key `{key}` is documented but the "
                            f"scenario reader never reads it")
    problems += list_problems(listed_types(binary), documented,
                              documented_type_names(scenario_md))
    for problem in problems:
        print("FAIL:", problem)
    print(f"{len(read)} keys read, {len(documented)} documented, {len(problems)} problems")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
