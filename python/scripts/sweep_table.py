#!/usr/bin/python3
"""Markdown table of a sweep file's summary, averaged over one parameter (e.g. the seed).

    /usr/bin/python3 python/scripts/sweep_table.py runs/defense-comparison.h5 --mean-over seed

Rows group the runs by every other swept parameter; columns are the means of the headline
metrics over the group's finished runs. Over `seed`, with the sweep file's aggregate table
(docs/trace-format.md), each cell is "mean [low, high]", its 95% confidence interval (Student t
with n - 1 degrees of freedom, bounded by what the metric can be: poisonsim.intervals; the mean
alone where only one run finished). Used for the README's defense table.
"""
import argparse
import json
import os
import sys

import h5py
import numpy as np
import pandas as pd

# The package of this source tree (python/poisonsim), next to this scripts/ folder.
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from poisonsim import intervals  # noqa: E402

METRICS = [("accuracy_mean", "mean accuracy", "{:.4f}"), ("accuracy_last", "final accuracy", "{:.4f}"),
           ("accuracy_min", "lowest", "{:.4f}"), ("true_positive_rate", "poison rejected", "{:.1%}"),
           ("false_positive_rate", "clean rejected", "{:.1%}"), ("refused", "refused", "{:.1f}")]


def short(value, width=40):
    text = value.decode() if isinstance(value, bytes) else str(value)
    return text if len(text) <= width else text[: width - 3] + "..."


def decoded(frame):
    for column in frame.columns:
        if frame[column].dtype.kind in "SO":
            frame[column] = frame[column].map(short)
    return frame


def runs_cell(runs, failed):
    return f"{runs - failed}" + (f" ({failed} failed)" if failed else "")


def interval_rows(aggregate, keys):
    """Rows from the aggregate table: mean ± 95% CI half-width per metric."""
    rows = []
    for _, cell in aggregate.groupby("cell", sort=True):
        by_metric = cell.set_index("metric")
        first = cell.iloc[0]
        cells = [str(first[key]) for key in keys]
        cells.append(runs_cell(int(first["runs"]), int(first["failed"])))
        for column, _, form in METRICS:
            if column not in by_metric.index or by_metric.loc[column, "n"] == 0:
                cells.append("-")
                continue
            row = by_metric.loc[column]
            if "kind" in row:
                low, high = row["ci95_low"], row["ci95_high"]
            else:  # a table from before bounded intervals: recomputed as poisonsim does now
                low, high = intervals.bounds(row["mean"], row["sd"], int(row["n"]),
                                             intervals.metric_kind(column))
            cells.append(form.format(row["mean"]) + (
                "" if np.isnan(low) else f" [{form.format(low)}, {form.format(high)}]"))
        rows.append(cells)
    return rows


def mean_rows(table, keys):
    """Rows from the summary: plain means of the finished runs."""
    rows = []
    groups = table.groupby(keys[0] if len(keys) == 1 else keys, sort=False) if keys else [
        ((), table)]
    for group, members in groups:
        group = group if isinstance(group, tuple) else (group,)
        ok = members[members["status"] == "ok"]
        cells = [str(g) for g in group] + [runs_cell(len(members), len(members) - len(ok))]
        for column, _, form in METRICS:
            value = np.nanmean(ok[column]) if ok[column].notna().any() else float("nan")
            cells.append("-" if np.isnan(value) else form.format(value))
        rows.append(cells)
    return rows


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("sweep")
    parser.add_argument("--mean-over", default="seed", help="parameter to average over")
    args = parser.parse_args()
    try:
        with h5py.File(args.sweep, "r") as f:
            if f.attrs.get("kind") != "sweep":
                raise ValueError("not a sweep file (no root attribute kind = 'sweep')")
            params = json.loads(f.attrs["parameters"])
            table = decoded(pd.DataFrame(f["summary"][:]))
            aggregate = decoded(pd.DataFrame(f["aggregate"][:])) if "aggregate" in f else None
    except (OSError, ValueError, KeyError) as error:
        print(f"error: {args.sweep}: {error}", file=sys.stderr)
        return 2
    if args.mean_over not in params:
        print(f"error: {args.sweep}: '{args.mean_over}' is not a swept parameter ({params})",
              file=sys.stderr)
        return 2
    keys = [p for p in params if p != args.mean_over]
    intervals = args.mean_over == "seed" and aggregate is not None
    if args.mean_over == "seed" and not intervals:
        print(f"{args.sweep}: no aggregate table (written before poisonsim had one): means "
              "without confidence intervals", file=sys.stderr)
    header = keys + ["runs"] + [label for _, label, _ in METRICS]
    print("| " + " | ".join(header) + " |")
    print("|" + " --- |" * len(header))
    for cells in interval_rows(aggregate, keys) if intervals else mean_rows(table, keys):
        print("| " + " | ".join(cells) + " |")
    if intervals:
        print("\nmean [low, high]: the 95% confidence interval of the mean over the seeds "
              "(Student t, n - 1 degrees of freedom, on the logit scale for rates and "
              "accuracies, never below 0 for counts; docs/results.md); runs: finished runs "
              "(failed ones are left out)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
