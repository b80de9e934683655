#!/usr/bin/python3
"""Why no attack at 10% poison costs 10 points (issue 24): the damage of one retraining on a
poison set as the clean data it is mixed with grows, for each method, with `poisonsim attack`.

    /usr/bin/python3 tools/scripts/dilution.py [--binary build/poisonsim] [--n 1000]
        [--methods labelflip,direct,generative] [--ratios 1,3,9] [--retrain-seeds 5]
        [--set retrain.select=last ...]

For each method and clean:poison ratio R it runs `poisonsim attack --mixed-ratio R` (the
scenario's retraining policy: the default is the averaging victim) and prints the clean test
accuracy after one retraining on the poison alone and on the poison mixed with R times as much
clean data, next to the same clean data alone; the damage is the paired difference over the
retraining shuffles (the same shuffles with and without the poison), mean [95% interval]. A poison
share of 1 / (R + 1): R = 9 is the 10% of the continual scenarios' windows.
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "python"))
from poisonsim import intervals  # noqa: E402


def attack(binary, method, n, ratio, seeds, sets, work):
    command = [binary, "--log-level", "warn", "attack", "--method", method, "--n", str(n),
               "--mixed-ratio", str(ratio), "--retrain-seeds", str(seeds), "-o",
               os.path.join(work, f"{method}-{ratio}.h5"), "--force", "--json", "-"]
    for setting in sets:
        command += ["--set", setting]
    done = subprocess.run(command, capture_output=True, text=True)
    if done.returncode != 0:
        sys.exit(f"error: {' '.join(command)} exited {done.returncode}:\n{done.stderr}")
    return json.loads(done.stdout)


def interval(values, kind):
    i = intervals.mean_interval(values, kind)
    return f"{i['mean']:.4f} [{i['low']:.4f}, {i['high']:.4f}]"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--binary", default="build/poisonsim")
    parser.add_argument("--n", type=int, default=1000)
    parser.add_argument("--methods", default="labelflip,direct,generative")
    parser.add_argument("--ratios", default="1,3,9")
    parser.add_argument("--retrain-seeds", type=int, default=5)
    parser.add_argument("--set", action="append", default=[], dest="sets")
    args = parser.parse_args()
    ratios = [int(r) for r in args.ratios.split(",")]
    print(f"| method | poison alone | {' | '.join(f'{100 / (r + 1):.0f}% poison' for r in ratios)} |")
    print("|" + " --- |" * (2 + len(ratios)))
    with tempfile.TemporaryDirectory() as work:
        for method in args.methods.split(","):
            cells, alone = [], None
            for ratio in ratios:
                j = attack(args.binary, method, args.n, ratio, args.retrain_seeds, args.sets, work)
                alone = alone or interval(j["accuracy_after_runs"], intervals.PROPORTION)
                mixed = j["accuracy_mixed"]["runs"]
                clean = j["accuracy_clean_mixed"]["runs"]
                damage = [c - m for c, m in zip(clean, mixed)]
                cells.append(f"{interval(mixed, intervals.PROPORTION)}, clean "
                             f"{intervals.mean_interval(clean, intervals.PROPORTION)['mean']:.4f}"
                             f", damage {interval(damage, intervals.UNBOUNDED)}")
            print(f"| {method} | {alone} | " + " | ".join(cells) + " |")
    print(f"\nclean test accuracy after one retraining (mean [95% interval] over "
          f"{args.retrain_seeds} shuffles); before: {j['accuracy_before']:.4f}; damage: the same "
          "shuffle's accuracy on the clean data alone minus with the poison; n = "
          f"{args.n} poisoned samples{', ' + ', '.join(args.sets) if args.sets else ''}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
