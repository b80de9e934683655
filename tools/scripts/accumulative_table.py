#!/usr/bin/python3
"""The accumulative attacker's table (scenarios/accumulative.yaml): per attacker, how many of its
stealth retrains the gate deployed, the clean test accuracy of the deployed model at the trigger
window's end, and the damage there against the clean-only run of the same seed.

    /usr/bin/python3 tools/scripts/accumulative_table.py runs/accumulative.h5

The sweep's `attackers` axis must include one named `none` (the clean-only reference) and one
with an `accumulate:` block; its `trigger_at` sets the windows: stealth retrains are those after
the attacker's first poison and up to the trigger, the trigger window's retrain is the first after
`trigger_at`. Every attacker is read over the same windows. Cells are mean [95% interval] over
seeds; the damage is the paired difference (clean-only minus attacked, same seed), an unbounded
t interval.
"""
import argparse
import os
import re
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "python"))
from poisonsim import intervals, open_sweep  # noqa: E402
from poisonsim.errors import InputError  # noqa: E402
from poisonsim.hdf5_io import text  # noqa: E402
from poisonsim.sweep import attacker_name  # noqa: E402


def cell(values, kind, form="{:.4f}"):
    i = intervals.mean_interval(values, kind)
    return f"{form.format(i['mean'])} [{form.format(i['low'])}, {form.format(i['high'])}]"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("sweep")
    args = parser.parse_args()
    try:
        sweep = open_sweep(args.sweep)
        retrains = sweep.table("retrains", ["time", "poison_in_buffer", "deployed"])
        evaluations = sweep.table("evaluations", ["time", "accuracy"])
        events = sweep.table("events", ["time", "kind", "size"])
    except InputError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    if "attackers" not in retrains.columns:
        print(f"error: {args.sweep}: not an accumulative sweep (no attackers axis)",
              file=sys.stderr)
        return 2
    for frame in (retrains, evaluations, events):
        frame["attacker"] = frame["attackers"].map(text).map(attacker_name)
    events["kind"] = events["kind"].map(text)
    plans = [text(a) for a in dict.fromkeys(retrains["attackers"].map(text)) if "accumulate" in a]
    trigger = re.search(r"trigger_at: ([0-9.e+]+)", plans[0]) if plans else None
    start = re.search(r"start: ([0-9.e+]+)", plans[0]) if plans else None
    if trigger is None or start is None or "none" not in set(retrains["attacker"]):
        print(f"error: {args.sweep}: expected an attacker named none and one with accumulate: "
              "{trigger_at: ...} and a start", file=sys.stderr)
        return 2
    trigger_at, start_at = float(trigger.group(1)), float(start.group(1))
    trigger_retrain = retrains.loc[retrains.time > trigger_at, "time"].min()
    stealth = retrains[(retrains.time > start_at) & (retrains.time <= trigger_at)]
    at_trigger = evaluations[evaluations.time == trigger_retrain]
    clean = at_trigger[at_trigger.attacker == "none"].set_index("seed")["accuracy"]
    sent = events[events.kind == "poison-batch"]

    print(f"Stealth retrains: {start_at:g} s < t <= {trigger_at:g} s; the trigger window's "
          f"retrain at {trigger_retrain:g} s. Mean [95% interval] over seeds.\n")
    print("| attacker | stealth retrains deployed | poison sent | trigger retrain deployed | "
          "test accuracy at the trigger window | damage (clean-only minus attacked) |")
    print("| --- | --- | --- | --- | --- | --- |")
    for name in dict.fromkeys(retrains["attacker"]):
        mine = stealth[stealth.attacker == name].groupby("seed")
        deployed = mine["deployed"].sum()
        windows = mine["deployed"].count()
        trig = retrains[(retrains.attacker == name) & (retrains.time == trigger_retrain)]
        accuracy = at_trigger[at_trigger.attacker == name].set_index("seed")["accuracy"]
        damage = (clean - accuracy).dropna()
        total = sent[sent.attacker == name].groupby("seed")["size"].sum().reindex(
            accuracy.index, fill_value=0)
        all_passed = f"{int((deployed == windows).sum())} of {len(windows)} seeds all deployed"
        print(f"| {name} | {cell(deployed, intervals.COUNT, '{:.1f}')} of "
              f"{int(windows.max())} ({all_passed}) | {cell(total, intervals.COUNT, '{:.0f}')} | "
              f"{int(trig['deployed'].sum())} of {len(trig)} | "
              f"{cell(accuracy, intervals.PROPORTION)} | "
              f"{cell(damage, intervals.UNBOUNDED) if name != 'none' else '-'} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
