#!/usr/bin/python3
"""The label-flip attacker in Python reproduces the C++ one, trace for trace.

scenarios/plugins/label_flip.py (next-class labels, seeds drawn through request.draw_seed_rows,
which draws from the attacker's own stream as the C++ attackers do) against the C++
`type: label-flip` attacker on the synthetic test scenario: every table (events, samples,
retrains, evaluations, defense), hashed as stored by golden_traces.table_digests; the scenario
attribute (which names the type) is not a table. The Python run uses --threads 2 and the C++
run --threads 1, so the check also holds the Python attacker to determinism across threads.

Usage: python_attacker_identity.py POISONSIM SOURCE_ROOT WORK_DIR
"""
import os
import subprocess
import sys

import h5py

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "golden"))
from golden_traces import TABLES, table_digests  # noqa: E402


def run(binary, root, work, name, overrides, threads):
    path = os.path.join(work, name + ".h5")
    command = [binary, "--log-level", "warn", "run",
               os.path.join(root, "tests/scenarios/synthetic-small.yaml"), "-o", path, "--force",
               "--quiet", "--threads", str(threads), "--set", "trace.samples=true"]
    for override in overrides:
        command += ["--set", override]
    env = dict(os.environ, POISONSIM_CACHE_DIR=os.path.join(work, "cache"))
    done = subprocess.run(command, cwd=root, env=env, capture_output=True, text=True)
    if done.returncode != 0:
        sys.exit(f"FAIL: {' '.join(command)} exited {done.returncode}:\n{done.stdout}{done.stderr}")
    with h5py.File(path, "r") as trace:
        scenario = trace.attrs["scenario"]
        scenario = scenario.decode() if isinstance(scenario, bytes) else str(scenario)
        samples = trace["samples"][:]
        poison = int((samples["label"] != samples["true_label"]).sum()) \
            if "true_label" in samples.dtype.names else None
        return table_digests(trace, TABLES), "type: python" in scenario, poison, len(samples)


def main():
    binary, root, work = sys.argv[1:4]
    os.makedirs(work, exist_ok=True)
    plugin = os.path.join(root, "scenarios/plugins/label_flip.py")
    python = run(binary, root, work, "attacker-python",
                 ["attackers.0.type=python", f"attackers.0.file={plugin}",
                  "attackers.0.class=LabelFlip"], 2)
    cpp = run(binary, root, work, "attacker-cpp", [], 1)
    problems = []
    if not python[1] or cpp[1]:
        problems.append("the runs do not use the attackers they should")
    if python[3] == 0:
        problems.append("no samples rows: the comparison would prove nothing")
    for table in cpp[0]:
        want, have = cpp[0][table], python[0][table]
        if want is None and have is None:
            continue
        if want is None or have is None or want["sha256"] != have["sha256"]:
            problems.append(f"table {table} differs: C++ {want and want['rows']} rows, "
                            f"python {have and have['rows']} rows")
    print(f"label-flip, synthetic: {'differs' if problems else 'identical'} "
          f"({cpp[3]} samples rows, {cpp[2]} with a flipped label)")
    for problem in problems:
        print("FAIL:", problem)
    sys.exit(1 if problems else 0)


if __name__ == "__main__":
    main()
