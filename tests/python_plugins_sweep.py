#!/usr/bin/python3
"""A Python defense and a Python attacker in a short sweep with 2 seeds (issue 26's acceptance):
`poisonsim sweep scenarios/plugins/synthetic-python.yaml --seeds 2`, the command docs/plugins.md
shows, then its summary: both runs ok with seeds 3 and 4, each with poison sent and some of it
rejected (the Python guard judged the Python attacker's batches), and each run's provenance
naming both plug-in files with their SHA-256.

Usage: python_plugins_sweep.py POISONSIM SOURCE_ROOT WORK_DIR
"""
import hashlib
import json
import os
import subprocess
import sys

import h5py


def main():
    binary, root, work = (os.path.abspath(a) for a in sys.argv[1:4])
    os.makedirs(work, exist_ok=True)
    # Run from the work folder: the scenario's plug-in files are found beside it.
    out = os.path.join(work, "sweep.h5")
    command = [binary, "--log-level", "warn", "sweep",
               os.path.join(root, "scenarios/plugins/synthetic-python.yaml"), "--seeds", "2",
               "--set", "duration=60", "-o", out, "--force", "--quiet"]
    env = dict(os.environ, POISONSIM_CACHE_DIR=os.path.join(work, "cache"))
    done = subprocess.run(command, cwd=work, env=env, capture_output=True, text=True)
    if done.returncode != 0:
        sys.exit(f"FAIL: {' '.join(command)} exited {done.returncode}:\n{done.stdout}{done.stderr}")
    problems = []
    plugins = {name: hashlib.sha256(open(os.path.join(root, "scenarios/plugins", name), "rb")
                                    .read()).hexdigest()
               for name in ("label_flip.py", "loss_threshold.py")}
    with h5py.File(out, "r") as sweep:
        summary = sweep["summary"][:]
        if [s.decode() for s in summary["status"]] != ["ok", "ok"]:
            problems.append(f"statuses {summary['status']}, expected two ok")
        if list(summary["seed"]) != [3, 4]:
            problems.append(f"seeds {list(summary['seed'])}, expected [3, 4]")
        for row in summary:
            if not (row["poison_samples"] > 0 and 0 < row["poison_rejected"] < row["poison_samples"]):
                problems.append(f"run {row['run']}: {row['poison_rejected']} of "
                                f"{row['poison_samples']} poison rejected: the guard should catch "
                                "some, not all")
        for run in sweep["runs"]:
            provenance = sweep["runs"][run].attrs["provenance"]
            files = json.loads(provenance).get("plugin_files", [])
            seen = {os.path.basename(f["file"]): f["sha256"] for f in files}
            if seen != plugins:
                problems.append(f"run {run}: provenance plug-in files {seen}, expected {plugins}")
        print(f"sweep: {len(summary)} runs, poison rejected "
              f"{[int(r) for r in summary['poison_rejected']]} of "
              f"{[int(s) for s in summary['poison_samples']]}")
    for problem in problems:
        print("FAIL:", problem)
    sys.exit(1 if problems else 0)


if __name__ == "__main__":
    main()
