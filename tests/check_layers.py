#!/usr/bin/env python3
"""The include graph goes one way: no folder includes from a folder above it.

Every C++ file belongs to the deepest folder listed in LAYERS; a file may include from its own
folder and from folders of a lower rank. Folders of equal rank are siblings and may not include
each other (attackers and guards know only the plug-in contract, not one another). A folder
that holds C++ but is missing from LAYERS is an error too, so a new folder gets a place.

  check_layers.py [ROOT]     exit 0, or one line per upward include and exit 1
"""
import os
import re
import sys

# Lowest first. docs/architecture.md ("Layers") explains each floor.
LAYERS = [
    ("sim/util", 0),             # errors, safe outputs, input checks, progress, signals
    ("sim/kernel", 1),           # the discrete-event kernel, named random streams, archives
    ("pipeline/runtime", 2),     # numeric kernel choice, threads, provenance
    ("pipeline/data", 3),        # data sets and their readers, splits
    ("pipeline/model", 4),       # target models (LibTorch) and their training
    ("pipeline/serving", 5),     # the oneDNN serving engine
    ("pipeline/trace", 5),       # HDF5 traces, sweep files, checkpoints, poison sets
    ("pipeline/plugins", 6),     # the contract attackers, guards and gates implement
    ("pipeline/scenario", 7),    # YAML scenarios, validated
    ("pipeline/simulation", 8),  # one run: processes, ingestion, retraining, checkpoints
    ("pipeline/python", 8),      # the embedded interpreter python guards and attackers share
    ("guards/per_sample", 9),
    ("guards/gates", 9),
    ("attackers/common", 9),
    ("attackers/direct", 10),
    ("attackers/generative", 10),
    ("attackers/baselines", 10),
    ("attackers/replay", 10),
    ("attackers/python", 10),
    ("guards", 11),              # the registry of defenses
    ("attackers", 11),           # the registry of attackers
    ("tools/common", 12),        # every built-in plug-in registered; JSON helpers
    ("tools/attack", 13),        # the standalone attack protocol
    ("tools/sweep", 13),         # sweeps: plan, runner, parts, MPI
    ("tools/bench", 14),         # benchmarks (they drive attacks and child processes)
    ("tools/cli", 15),           # the CLI's shared parts
    ("tools/cli/verbs", 16),     # one file per verb
    ("tests", 17),
]
SOURCE_DIRS = ("sim", "pipeline", "attackers", "guards", "tools", "tests")
INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"', re.M)


def folder_of(path):
    """The deepest folder of LAYERS that holds `path` (a path relative to the root)."""
    best = None
    for folder, rank in LAYERS:
        if path.startswith(folder + "/") and (best is None or len(folder) > len(best[0])):
            best = (folder, rank)
    return best


def main():
    root = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else
                           os.path.join(os.path.dirname(__file__), ".."))
    problems = []
    for top in SOURCE_DIRS:
        for directory, _, names in os.walk(os.path.join(root, top)):
            for name in sorted(names):
                if not name.endswith((".h", ".cpp")):
                    continue
                path = os.path.relpath(os.path.join(directory, name), root)
                source = folder_of(path)
                if source is None:
                    problems.append(f"{path}: its folder has no layer in tests/check_layers.py")
                    continue
                with open(os.path.join(root, path), encoding="utf-8") as f:
                    text = f.read()
                for included in INCLUDE.findall(text):
                    if not included.startswith(tuple(d + "/" for d in SOURCE_DIRS)):
                        continue  # generated headers, system headers in quotes
                    target = folder_of(included)
                    if target is None or target[0] == source[0]:
                        continue
                    if target[1] > source[1] or (target[1] == source[1]):
                        problems.append(f"{path} (layer {source[0]}, rank {source[1]}) includes "
                                        f"{included} (layer {target[0]}, rank {target[1]})")
    for line in problems:
        print(line)
    if problems:
        print(f"{len(problems)} upward or sideways includes")
        return 1
    print("include layers: every include goes down")
    return 0


if __name__ == "__main__":
    sys.exit(main())
