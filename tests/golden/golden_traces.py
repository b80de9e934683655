#!/usr/bin/env python3
"""Golden trace digests: the refactor and numerics guard (issues 22 and 25).

Runs each golden scenario with poisonsim, then hashes every trace table (events, samples,
retrains, evaluations, defense; for the golden sweep, its summary and aggregate tables) as stored: the file types are packed little-endian standard types
(pipeline/trace/trace_schema.h), so the bytes h5py returns are canonical. Attributes
(provenance, stage_seconds, the scenario text) are not hashed: they hold wall times and hosts.

  golden_traces.py --binary build/poisonsim --work DIR check    # the test (ctest runs it)
  golden_traces.py --binary build/poisonsim --work DIR update   # after a deliberate change

Runs use portable numerics (the default, pipeline/runtime/numerics_mode.h): every library at
its x86-64-v3 level, so one set of values holds on every CPU with AVX2 and FMA, and any
difference fails, on any machine. `--native` checks the native mode instead, where values are
keyed by machine kind (CPU vendor and OpenBLAS kernel, read from the trace): on a kind with its
own entry any difference fails; on a kind without one, another kind's values are checked, a
match passes (and says so), and a difference is reported with the values to commit and the
test is skipped (exit 77): native numbers are expected to differ between kinds.
"""
import argparse
import hashlib
import json
import os
import subprocess
import sys

import h5py

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
GOLDEN_FILE = os.path.join(HERE, "trace-digests.json")
TABLES = ("events", "samples", "retrains", "evaluations", "defense")
SWEEP_TABLES = ("summary", "aggregate")  # a sweep file's per-run metrics and means over seeds
BLOCK_ROWS = 64  # rows per block digest: a mismatch is located to 64 rows, then printed
SKIP = 77

# name -> (scenario, extra arguments). Short enough for the suite; each exercises a path the
# refactor moves: the generative attacker with guard and gate (the quickstart as shipped), the
# direct attacker with guard and gate, the generative attacker behind the adaptive guard.
SCENARIOS = {
    "quickstart": ("scenarios/quickstart.yaml", []),
    "direct-guard-gate": ("scenarios/paper/fashion-mnist-direct.yaml",
                          ["--set", "duration=240", "--set", "attackers.0.iterations=10"]),
    "generative-adaptive": ("scenarios/quickstart.yaml",
                            ["--set", "duration=240",
                             "--set", "guard={type: adaptive, quantile: 0.95, factor: 1.5}"]),
}


def text_attribute(trace, name):
    value = trace.attrs.get(name, "")
    return value.decode() if isinstance(value, bytes) else str(value)


# name -> (scenario, extra arguments) of `poisonsim sweep`: four short runs on synthetic data
# (two thresholds x two seeds), so the summary and the means over seeds are held too.
SWEEPS = {
    "synthetic-sweep": ("tests/scenarios/synthetic-small.yaml",
                        ["--param", "guard.threshold=1,8", "--seeds", "2", "--set", "seed=1",
                         "--set", "duration=40", "--jobs", "2"]),
}


def tables_of(name):
    return SWEEP_TABLES if name in SWEEPS else TABLES


def run_attributes(trace):
    """The attributes of a run: the root of a trace, the first run's group of a sweep file."""
    return trace["runs/0"] if "runs" in trace else trace


def machine_kind(trace):
    """The key a run's values are filed under: the kernel levels alone in portable numerics (the
    machine does not matter), the CPU vendor and OpenBLAS kernel in native."""
    trace = run_attributes(trace)
    numerics = text_attribute(trace, "numerics")
    if numerics.startswith("portable"):
        return numerics
    cpu = trace.attrs["cpu"]
    cpu = cpu.decode() if isinstance(cpu, bytes) else str(cpu)
    kernel = trace.attrs["blas_kernel"]
    kernel = kernel.decode() if isinstance(kernel, bytes) else str(kernel)
    vendor = "AMD" if "AMD" in cpu else "Intel" if "Intel" in cpu else "other"
    return f"{vendor} / OpenBLAS {kernel or 'unknown'}"


def table_digests(trace, tables):
    out = {}
    for name in tables:
        if name not in trace:
            out[name] = None
            continue
        rows = trace[name][:]
        raw = rows.tobytes()
        width = rows.dtype.itemsize
        blocks = [hashlib.sha256(raw[i * width:(i + BLOCK_ROWS) * width]).hexdigest()[:16]
                  for i in range(0, len(rows), BLOCK_ROWS)]
        out[name] = {"rows": int(len(rows)), "sha256": hashlib.sha256(raw).hexdigest(),
                     "blocks": blocks}
    return out


def run_scenario(binary, work, name, numerics):
    verb = "sweep" if name in SWEEPS else "run"
    scenario, extra = SWEEPS[name] if name in SWEEPS else SCENARIOS[name]
    path = os.path.join(work, f"{name}-{numerics}.h5")
    env = dict(os.environ, POISONSIM_CACHE_DIR=os.path.join(work, "cache"),
               POISONSIM_NUMERICS=numerics)
    command = [binary, "--log-level", "warn", verb, os.path.join(ROOT, scenario), "-o", path,
               "--force", "--quiet"] + extra
    done = subprocess.run(command, env=env, capture_output=True, text=True)
    if done.returncode != 0:
        sys.exit(f"error: {' '.join(command)} exited {done.returncode}:\n{done.stderr}")
    return path


def describe_difference(name, table, want, have, trace_path):
    """The first differing table and the rows where it starts, as a reader needs them."""
    if want is None or have is None:
        return f"{name}: table {table} is {'missing' if have is None else 'unexpected'}"
    if want["rows"] != have["rows"]:
        head = f"{name}: table {table} has {have['rows']} rows, golden {want['rows']}"
    else:
        head = f"{name}: table {table} differs ({have['rows']} rows in both)"
    for block, (a, b) in enumerate(zip(want["blocks"], have["blocks"])):
        if a != b:
            break
    else:
        block = min(len(want["blocks"]), len(have["blocks"]))
    first = block * BLOCK_ROWS
    with h5py.File(trace_path, "r") as trace:
        rows = trace[table][first:first + BLOCK_ROWS]
        lines = [f"  columns: {', '.join(rows.dtype.names)}"]
        lines += [f"  row {first + i}: {row}" for i, row in enumerate(rows[:8])]
    return (f"{head}; the first difference is in rows {first}-{first + BLOCK_ROWS - 1}. "
            f"This run's rows there:\n" + "\n".join(lines))


def load_golden():
    if not os.path.exists(GOLDEN_FILE):
        return {}
    with open(GOLDEN_FILE) as f:
        return json.load(f)


def save_golden(golden):
    with open(GOLDEN_FILE, "w") as f:
        json.dump(golden, f, indent=1, sort_keys=True)
        f.write("\n")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--binary", required=True)
    parser.add_argument("--work", required=True)
    parser.add_argument("--only", action="append", choices=sorted(SCENARIOS) + sorted(SWEEPS))
    parser.add_argument("--native", action="store_true",
                        help="check native numerics (per machine kind) instead of portable")
    parser.add_argument("--record-verified", action="store_true",
                        help="on a passing check, add this CPU to each entry's verified_on list")
    parser.add_argument("--cpu-label",
                        help="how to name this CPU in messages and verified_on (an emulated CPU: "
                             "the trace names the host's)")
    parser.add_argument("mode", choices=["check", "update"])
    args = parser.parse_args()
    os.makedirs(args.work, exist_ok=True)
    golden = load_golden()
    names = args.only or list(SCENARIOS) + list(SWEEPS)
    failures, unverified = [], []
    for name in names:
        numerics = "native" if args.native else "portable"
        path = run_scenario(args.binary, args.work, name, numerics)
        with h5py.File(path, "r") as trace:
            kind = machine_kind(trace)
            if not args.native and not kind.startswith("portable"):
                failures.append(f"{name}: asked for portable numerics, the trace says "
                                f"'{text_attribute(trace, 'numerics')}' (a CPU without AVX2?)")
                continue
            cpu_model = run_attributes(trace).attrs["cpu"]
            cpu_model = cpu_model.decode() if isinstance(cpu_model, bytes) else str(cpu_model)
            cpu_model = args.cpu_label or cpu_model
            have = table_digests(trace, tables_of(name))
        entry = golden.setdefault(name, {"kinds": {}})
        if args.mode == "update":
            entry["kinds"][kind] = {"tables": have, "produced_on": cpu_model, "verified_on": []}
            print(f"{name}: recorded for {kind}")
            continue
        own = kind in entry["kinds"] or kind.startswith("portable")
        if not entry["kinds"]:
            failures.append(f"{name}: no golden values; run this script with `update`")
            continue
        if kind.startswith("portable") and kind not in entry["kinds"]:
            failures.append(f"{name}: no golden values for {kind}; run this script with `update`")
            continue
        native_kinds = [k for k in entry["kinds"] if not k.startswith("portable")]
        if not own and not native_kinds:
            unverified.append(f"{name}: no native values of any kind to compare with")
            continue
        reference = entry["kinds"][kind] if own else entry["kinds"][native_kinds[0]]
        diffs = [describe_difference(name, t, reference["tables"].get(t), have[t], path)
                 for t in tables_of(name) if reference["tables"].get(t) != have[t]]
        if not diffs:
            note = "" if own else f" (values produced on {reference['produced_on']}: verified)"
            print(f"{name}: all {len(tables_of(name))} tables match on {kind}, CPU {cpu_model}{note}")
            verified = reference.setdefault("verified_on", [])
            if args.record_verified and cpu_model not in verified + [reference["produced_on"]]:
                verified.append(cpu_model)
        elif own:
            failures.append(diffs[0])
        else:
            unverified.append(f"{diffs[0]}\n  {kind} has no golden values of its own; these "
                              f"differ from {reference['produced_on']}'s. New values:\n"
                              + json.dumps(have, indent=1)[:2000])
    if args.mode == "update":
        save_golden(golden)
        print(f"wrote {GOLDEN_FILE}")
        return 0
    if args.record_verified and not failures:
        save_golden(golden)
        print(f"recorded this CPU as verified in {GOLDEN_FILE}")
    for message in failures + unverified:
        print(message, file=sys.stderr)
    if failures:
        return 1
    return SKIP if unverified else 0


if __name__ == "__main__":
    sys.exit(main())
