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
import sys

import h5py

from identity_support import TABLES, digest_problems, finish, run_trace, scenario_text, \
    table_digests


def run(binary, root, work, name, overrides, threads):
    path = run_trace(binary, root, work, name,
                     os.path.join(root, "tests/scenarios/synthetic-small.yaml"),
                     ["trace.samples=true"] + overrides, threads)
    with h5py.File(path, "r") as trace:
        samples = trace["samples"][:]
        poison = int((samples["label"] != samples["true_label"]).sum()) \
            if "true_label" in samples.dtype.names else None
        return (table_digests(trace, TABLES), "type: python" in scenario_text(trace), poison,
                len(samples))


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
    problems += digest_problems("label-flip, synthetic", cpp[0], python[0])
    print(f"label-flip, synthetic: {'differs' if problems else 'identical'} "
          f"({cpp[3]} samples rows, {cpp[2]} with a flipped label)")
    finish(problems)


if __name__ == "__main__":
    main()
