#!/usr/bin/python3
"""Markdown table of a sweep file's summary, averaged over one parameter (e.g. the seed).

    /usr/bin/python3 tools/sweep_table.py runs/defense-comparison.h5 --mean-over seed

Rows group the runs by every other swept parameter; columns are the means of the headline
metrics over the group. Used for the README's defense table.
"""
import argparse
import sys

import h5py
import numpy as np
import pandas as pd

METRICS = [("accuracy_mean", "mean accuracy", "{:.4f}"), ("accuracy_last", "final accuracy", "{:.4f}"),
           ("accuracy_min", "lowest", "{:.4f}"), ("true_positive_rate", "poison rejected", "{:.1%}"),
           ("false_positive_rate", "clean rejected", "{:.1%}"), ("refused", "refused", "{:.1f}")]


def short(value, width=40):
    text = value.decode() if isinstance(value, bytes) else str(value)
    return text if len(text) <= width else text[: width - 3] + "..."


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("sweep")
    parser.add_argument("--mean-over", default="seed", help="parameter to average over")
    args = parser.parse_args()
    try:
        with h5py.File(args.sweep, "r") as f:
            if f.attrs.get("kind") != "sweep":
                raise ValueError("not a sweep file (no root attribute kind = 'sweep')")
            import json
            params = json.loads(f.attrs["parameters"])
            table = pd.DataFrame(f["summary"][:])
    except (OSError, ValueError, KeyError) as error:
        print(f"error: {args.sweep}: {error}", file=sys.stderr)
        return 2
    if args.mean_over not in params:
        print(f"error: {args.sweep}: '{args.mean_over}' is not a swept parameter ({params})",
              file=sys.stderr)
        return 2
    keys = [p for p in params if p != args.mean_over]
    for key in keys:
        table[key] = table[key].map(short)
    header = keys + ["runs"] + [label for _, label, _ in METRICS]
    print("| " + " | ".join(header) + " |")
    print("|" + " --- |" * len(header))
    for group, rows in table.groupby(keys, sort=False) if keys else [((), table)]:
        group = group if isinstance(group, tuple) else (group,)
        cells = [str(g) for g in group] + [str(len(rows))]
        for column, _, form in METRICS:
            value = np.nanmean(rows[column]) if rows[column].notna().any() else float("nan")
            cells.append("-" if np.isnan(value) else form.format(value))
        print("| " + " | ".join(cells) + " |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
