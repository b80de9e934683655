#!/usr/bin/python3
"""The `spectral` window sanitizer in Python (scenarios/plugins/spectral_signature.py) gives the
C++ `spectral` stage's trace: every table hashed as stored (golden_traces.table_digests) but two
columns that name the stage's type (`python` there, `spectral` here) and nothing else:
`events.source` of the `sanitize` and `sanitize-noop` rows and `defense.type`; those are held
with the type names swapped. On synthetic data (two configurations: the default quantile and a
low one that removes more, with a minimum class size some classes miss, so `sanitize-noop`
rows occur; the second also with SciPy hidden, so the file's np.linalg.svd fallback runs)
and, with Fashion-MNIST installed, a short quickstart with the sanitizer.

The Python runs use --threads 2 and the C++ runs --threads 1. Each comparison requires the C++
stage to have removed samples, or equal traces would prove little of the rule.

Usage: python_sanitizer_identity.py POISONSIM SOURCE_ROOT WORK_DIR
"""
import os
import sys

import h5py
import numpy as np

from identity_support import TABLES, digest_problems, fashion_mnist_installed, finish, \
    run_trace, table_digests

TYPE_NAMED = ("events", "defense")  # the tables with a column naming the stage's type


def run(binary, root, work, name, scenario, overrides, threads, env_extra=None):
    path = run_trace(binary, root, work, name, scenario, overrides, threads, env_extra)
    with h5py.File(path, "r") as trace:
        digests = table_digests(trace, [t for t in TABLES if t not in TYPE_NAMED])
        events = trace["events"][:]
        defense = trace["defense"][:]
    return digests, events, defense


def renamed(rows, column, where, name):
    out = rows.copy()
    out[column][where] = name.encode()
    return out


def compare(label, python_run, cpp_run):
    (python_digests, python_events, python_defense) = python_run
    (cpp_digests, cpp_events, cpp_defense) = cpp_run
    problems = []
    sanitize = np.isin(cpp_events["kind"], [b"sanitize", b"sanitize-noop"])
    if not sanitize.any() or set(cpp_events["source"][sanitize]) != {b"spectral"}:
        problems.append(f"{label}: the C++ run has no spectral sanitize events")
    # The guard's stage has rows too, of the same type in both.
    python_types, cpp_types = set(python_defense["type"]), set(cpp_defense["type"])
    if b"python" not in python_types or b"spectral" not in cpp_types or \
            python_types - {b"python"} != cpp_types - {b"spectral"}:
        problems.append(f"{label}: defense stage types {python_types} and {cpp_types}")
    python_stage = python_defense["type"] == b"python"
    if renamed(python_defense, "type", python_stage, "spectral").tobytes() != \
            cpp_defense.tobytes():
        problems.append(f"{label}: the defense tables differ (beyond the stage's type name)")
    problems += digest_problems(label, cpp_digests, python_digests)
    removed = int(cpp_events["rejected"][cpp_events["kind"] == b"sanitize"].sum())
    noop = int((cpp_events["kind"] == b"sanitize-noop").sum())
    windows = int((cpp_events["kind"] == b"sanitize").sum())
    if removed == 0:
        problems.append(f"{label}: the C++ stage removed nothing: the comparison proves little")
    print(f"{label}: {'differs' if problems else 'identical'} ({windows} windows, {removed} "
          f"removed, {noop} sanitize-noop rows)")
    return problems


def pair(binary, root, work, label, name, scenario, overrides, options, python_env=None):
    plugin = os.path.join(root, "scenarios/plugins/spectral_signature.py")
    keys = "".join(f", {k}: {v}" for k, v in options.items())
    python = run(binary, root, work, name + "-python", scenario, overrides + [
        f"sanitize=[{{type: python, file: {plugin}, class: SpectralSignature{keys}}}]"], 2,
        python_env)
    cpp = run(binary, root, work, name + "-cpp", scenario,
              overrides + [f"sanitize=[{{type: spectral{keys}}}]"], 1)
    return compare(label, python, cpp)


def main():
    binary, root, work = sys.argv[1:4]
    os.makedirs(work, exist_ok=True)
    problems = []
    synthetic = os.path.join(root, "tests/scenarios/synthetic-small.yaml")
    flood = ["guard={type: none}", "gate={type: none}", "attackers.0.arrival.rate=1"]
    problems += pair(binary, root, work, "synthetic, spectral defaults", "synthetic", synthetic,
                     flood, {})
    problems += pair(binary, root, work, "synthetic, quantile 0.6, min_class_samples 80",
                     "synthetic-low", synthetic, flood,
                     {"quantile": 0.6, "min_class_samples": 80, "bank_size": 1000})
    # The twin's fallback without SciPy (np.linalg.svd, the same LAPACK call): SciPy hidden.
    hidden = os.path.join(work, "no-scipy", "scipy")
    os.makedirs(hidden, exist_ok=True)
    with open(os.path.join(hidden, "__init__.py"), "w") as out:
        out.write('raise ImportError("hidden by python_sanitizer_identity.py")\n')
    problems += pair(binary, root, work, "synthetic, quantile 0.6, NumPy's SVD (SciPy hidden)",
                     "synthetic-numpy", synthetic, flood,
                     {"quantile": 0.6, "min_class_samples": 80, "bank_size": 1000},
                     {"PYTHONPATH": os.path.dirname(hidden)})
    if fashion_mnist_installed(problems):
        problems += pair(binary, root, work, "fashion-mnist quickstart, 240 s", "quickstart",
                         os.path.join(root, "scenarios/quickstart.yaml"),
                         ["duration=240", "attackers.0.steps=100"], {})
    finish(problems)


if __name__ == "__main__":
    main()
