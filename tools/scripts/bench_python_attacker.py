#!/usr/bin/python3
"""Cost of a python attacker per poison batch against the same rule in C++, in one run.

Runs a scenario (default: the quickstart) with its attackers replaced by one label-flip attacker
(`--rate` batches per simulated second, the quickstart's batch of 32), in turn as the C++
`label-flip` and as scenarios/plugins/label_flip.py, `--rounds` times each, and reads each
trace's "poison generation" stage seconds and poison batches. Prints the medians per batch, their
ratio and the difference (the python call's overhead: the call, the GIL, the request's arrays,
the checks of what it returns); the interpreter's start-up is once per process, not per batch,
and outside the stage. docs/plugins.md ("Cost") quotes it.

Usage: bench_python_attacker.py POISONSIM [--scenario S] [--rounds N] [--rate R] [--work DIR]
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile

import h5py

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def attacker(kind, rate):
    common = f"name: flipper, arrival: {{rate: {rate}}}, batch_size: 32"
    if kind == "c++":
        return f"attackers=[{{type: label-flip, {common}}}]"
    plugin = os.path.join(ROOT, "scenarios/plugins/label_flip.py")
    return f"attackers=[{{type: python, file: {plugin}, class: LabelFlip, {common}}}]"


def run(binary, scenario, kind, rate, path):
    command = [binary, "--log-level", "warn", "run", scenario, "-o", path, "--force", "--quiet",
               "--set", attacker(kind, rate), "--set", "trace.samples=false"]
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True)
    if done.returncode != 0:
        sys.exit(f"{' '.join(command)} exited {done.returncode}:\n{done.stdout}{done.stderr}")
    with h5py.File(path, "r") as trace:
        seconds = json.loads(trace.attrs["stage_seconds"])["poison generation"]
        batches = int((trace["events"]["kind"] == b"poison-batch").sum())
    return seconds / batches, batches


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("binary")
    parser.add_argument("--scenario", default=os.path.join(ROOT, "scenarios/quickstart.yaml"))
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--rate", type=float, default=1.0)
    parser.add_argument("--work", default=None)
    args = parser.parse_args()
    work = args.work or tempfile.mkdtemp(prefix="bench-python-attacker-")
    per_batch = {"c++": [], "python": []}
    batches = 0
    for round_ in range(args.rounds):
        for kind in per_batch:  # taking turns, so a busy moment hits both
            seconds, batches = run(os.path.abspath(args.binary), args.scenario, kind, args.rate,
                                   os.path.join(work, f"{kind}-{round_}.h5"))
            per_batch[kind].append(seconds)
    cpp, python = (statistics.median(per_batch[k]) for k in ("c++", "python"))
    print(f"{batches} poison batches of 32 per run, medians of {args.rounds} rounds")
    print(f"label-flip (C++)    {cpp * 1e6:9.1f} us per batch")
    print(f"label-flip (python) {python * 1e6:9.1f} us per batch  x{python / cpp:.1f}, "
          f"+{(python - cpp) * 1e6:.1f} us")


if __name__ == "__main__":
    main()
