#!/usr/bin/python3
"""Every scenario shipped under scenarios/ validates, and every one with a `sweep:` block plans
(`poisonsim sweep --dry-run`: each run's scenario checked, none run), so a shipped file cannot
rot unnoticed (a sweep value that only fails when the sweep starts, say).

Usage: shipped_scenarios_test.py POISONSIM SOURCE_ROOT WORK_DIR
"""
import glob
import os
import subprocess
import sys


def main(binary, root, work):
    binary, root = os.path.abspath(binary), os.path.abspath(root)
    os.makedirs(work, exist_ok=True)
    files = sorted(glob.glob(os.path.join(root, "scenarios", "**", "*.yaml"), recursive=True))
    if len(files) < 10:
        sys.exit(f"FAIL: only {len(files)} scenarios found under {root}/scenarios")
    problems = []
    for path in files:
        commands = [[binary, "validate", path]]
        with open(path) as f:
            if any(line.startswith("sweep:") for line in f):
                commands.append([binary, "sweep", path, "--dry-run", "-o",
                                 os.path.join(work, "dry-run.h5")])
        for command in commands:
            # From the source root, as the scenarios' comments run them (a plug-in file is
            # looked up there first, then in the scenario's folder).
            done = subprocess.run(command, cwd=root, capture_output=True, text=True)
            if done.returncode != 0:
                problems.append(f"{' '.join(command[1:3])}: exit {done.returncode}: "
                                f"{(done.stderr or done.stdout).strip()[-400:]}")
    print(f"{len(files)} scenarios checked")
    for problem in problems:
        print("FAIL:", problem)
    sys.exit(1 if problems else 0)


if __name__ == "__main__":
    main(*sys.argv[1:4])
