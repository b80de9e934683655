#!/usr/bin/python3
"""Python stages reproduce the C++ stages of the same rule, trace for trace:

- the loss-threshold guard in Python (scenarios/plugins/loss_threshold.py) against the C++
  `loss-threshold` guard: every table (events, samples, retrains, evaluations), hashed as stored
  by golden_traces.table_digests, and every column of the defense table but the stage's type
  name (python / loss-threshold); on synthetic data at a threshold float32 cannot represent
  (2.3), and on a 240 s Fashion-MNIST quickstart;
- the validation gate in Python (scenarios/plugins/validation_gate.py) against the C++
  `validation` gate, every table (gate reasons and margins included), with both verdicts.

The Python runs use --threads 2 and the C++ runs --threads 1, so the check also holds the
Python stages to determinism across thread counts. Without Fashion-MNIST the quickstart pair is
skipped (said on stdout) unless POISONSIM_REQUIRE_REAL_DATA is set, which fails it.

Usage: python_guard_identity.py POISONSIM SOURCE_ROOT WORK_DIR
"""
import os
import sys

import h5py

from identity_support import TABLES, digest_problems, fashion_mnist_installed, finish, \
    run_trace, scenario_text, table_digests


def run(binary, root, work, name, scenario, overrides, threads):
    path = run_trace(binary, root, work, name, scenario, overrides, threads)
    with h5py.File(path, "r") as trace:
        scenario = scenario_text(trace)
        rejected = int(trace["samples"]["rejected"].sum()) if "samples" in trace else 0
        # The defense table names each stage's type ("python" here, "loss-threshold" there):
        # every other column is held byte for byte.
        defense = trace["defense"][:]
        columns = {name: defense[name].tobytes() for name in defense.dtype.names if name != "type"}
        types = sorted({t.decode() for t in defense["type"]})
        digests = table_digests(trace, [t for t in TABLES if t != "defense"])
        return (digests, columns, types), rejected, "type: python" in scenario


def run_tables(binary, root, work, name, scenario, overrides, threads):
    """Every table's digest, and the deployed and refused retrains."""
    run(binary, root, work, name, scenario, overrides, threads)
    with h5py.File(os.path.join(work, name + ".h5"), "r") as trace:
        deployed = int(trace["retrains"]["deployed"].sum())
        return table_digests(trace, TABLES), (deployed, len(trace["retrains"]) - deployed)


def compare(label, python_run, cpp_run):
    (python_tables, _, python_used), (cpp_tables, rejected, cpp_python) = python_run, cpp_run
    (python_digests, python_defense, python_types) = python_tables
    (cpp_digests, cpp_defense, cpp_types) = cpp_tables
    problems = []
    if python_types != ["python"] or cpp_types != ["loss-threshold"]:
        problems.append(f"{label}: defense stage types {python_types} and {cpp_types}")
    for column in sorted(set(python_defense) | set(cpp_defense)):
        if python_defense.get(column) != cpp_defense.get(column):
            problems.append(f"{label}: defense column {column} differs")
    if not python_used or cpp_python:
        problems.append(f"{label}: the runs do not use the guards they should")
    # Both verdicts must occur, or equal tables would prove nothing of the rule.
    if rejected == 0:
        problems.append(f"{label}: the C++ guard rejected nothing: the comparison proves little")
    problems += digest_problems(label, cpp_digests, python_digests)
    rows = cpp_digests["samples"]["rows"] if cpp_digests["samples"] else 0
    if rows == 0:
        problems.append(f"{label}: no samples rows: the comparison would prove nothing")
    print(f"{label}: {'differs' if problems else 'identical'} ({rows} samples rows, "
          f"{rejected} rejected)")
    return problems


def main():
    binary, root, work = sys.argv[1:4]
    os.makedirs(work, exist_ok=True)
    plugin = os.path.join(root, "scenarios/plugins/loss_threshold.py")
    problems = []

    synthetic = os.path.join(root, "tests/scenarios/synthetic-small.yaml")
    python_guard = (f"guard={{type: python, file: {plugin}, class: LossThreshold, "
                    f"threshold: 2.3}}")
    p = compare("synthetic, threshold 2.3",
                   run(binary, root, work, "synthetic-python", synthetic,
                       [python_guard, "trace.samples=true"], 2),
                   run(binary, root, work, "synthetic-cpp", synthetic,
                       ["guard={type: loss-threshold, threshold: 2.3}", "trace.samples=true"], 1))
    problems += p

    # The validation gate in Python (scenarios/plugins/validation_gate.py) against the C++ one, on
    # a heavy label-flip attack with no guard: every table, gate reasons and margins included.
    flood = ["guard={type: none}", "attackers.0.arrival.rate=3", "attackers.0.batch_size=16",
             "duration=200"]
    gate_file = os.path.join(root, "scenarios/plugins/validation_gate.py")
    python_gate = run_tables(binary, root, work, "gate-python", synthetic, flood + [
        f"gate={{type: python, file: {gate_file}, class: ValidationGate, "
        f"max_loss_increase: 0.2}}"], 2)
    cpp_gate = run_tables(binary, root, work, "gate-cpp", synthetic, flood + [
        "gate={type: validation, max_loss_increase: 0.2}"], 1)
    label = "synthetic, validation gate 0.2"
    deployed, refused = cpp_gate[1]
    if python_gate != cpp_gate:
        problems.append(f"{label}: the tables differ")
    if deployed == 0 or refused == 0:
        problems.append(f"{label}: {deployed} deployed, {refused} refused: both must occur")
    print(f"{label}: {'identical' if python_gate == cpp_gate else 'differs'} "
          f"({deployed} deployed, {refused} refused)")

    if fashion_mnist_installed(problems):
        quick = ["duration=240", "attackers.0.steps=100"]
        p = compare("fashion-mnist quickstart, 240 s",
                       run(binary, root, work, "quickstart-python",
                           os.path.join(root, "scenarios/plugins/quickstart-python-guard.yaml"),
                           quick + [f"guard.file={plugin}"], 2),
                       run(binary, root, work, "quickstart-cpp",
                           os.path.join(root, "scenarios/quickstart.yaml"), quick, 1))
        problems += p
    finish(problems)


if __name__ == "__main__":
    main()
