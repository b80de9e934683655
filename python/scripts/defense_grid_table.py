#!/usr/bin/python3
"""The defense grid's table (scenarios/defense-grid.yaml, and with `--axis sanitize`
scenarios/sanitizer-grid.yaml): per defense, mean clean accuracy over the run against each
attacker and poison share, and the clean data it rejects, with the cells where the defense fails
named.

    /usr/bin/python3 python/scripts/defense_grid_table.py runs/defense-grid.h5 \
        --figure docs/images/defense-grid.png
    /usr/bin/python3 python/scripts/defense_grid_table.py runs/sanitizer-grid.h5 --axis sanitize
    /usr/bin/python3 python/scripts/defense_grid_table.py runs/defense-grid.h5 \
        --sanitizers runs/sanitizer-grid.h5      # one table: every guard, then every sanitizer

Cells are "mean ± half-width of the 95% interval over seeds" from the sweep's aggregate table.
A defense fails in a cell when the cell's interval lies wholly below a clean-only interval: its
own (the attacker that never starts, behind the same defense) and the undefended one (no
defense, no attack) are both checked, and the sentence under the table names each.
"""
import argparse
import os
import re
import sys

import h5py
import pandas as pd

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from poisonsim import intervals, open_sweep  # noqa: E402
from poisonsim.errors import InputError  # noqa: E402
from poisonsim.hdf5_io import text  # noqa: E402
from poisonsim.sweep import attacker_name  # noqa: E402

METRIC = "accuracy_mean"
RATE = "attackers.0.arrival.rate"
SHORT_KEYS = {"quantile": "q", "threshold": "thr."}  # tick labels of the figure
# "loss\nthr. 3": 9 pt labels that keep apart
SHORT_TYPES = {"loss-threshold": "loss", "activation-clustering": "activation\nclustering"}


def short_label(guard):
    """`{type: knn, k: 10, bank_size: 5000, add_accepted: true}` -> "knn k 10\n+accepted"."""
    if guard == "~":
        return "none"
    if guard.startswith("sanitize: "):
        return short_label(guard[len("sanitize: "):])
    keys = dict(re.findall(r"(\w+): ([^,}]+)", guard))
    kind = keys.pop("type", "?")
    words = [SHORT_TYPES.get(kind, kind)]
    keys.pop("bank_size", None)
    if keys.pop("add_accepted", "false") == "true":
        words.append("+accepted")
    words += [f"{SHORT_KEYS.get(k, k)} {v}" for k, v in keys.items()]
    return "\n".join(words)


def sanitizer_clean_removals(path, axis, rate):
    """(defense, attackers, rate) -> mean_interval over seeds of the share of the clean samples
    given to the window sanitizers that they removed, per run, from each run's `defense` table
    ({} when the file keeps no run traces). A chain's first stage sees every sample the
    sanitizers are given; each stage's removals add up."""
    try:
        rows = open_sweep(path).table("defense")
    except InputError:
        return {}
    rows = rows[rows["kind"] == "sanitize"]
    if not len(rows):
        return {}
    first = rows.groupby("run")["stage"].transform("min") == rows["stage"]
    rows = rows.assign(seen=rows["clean_seen"].where(first, 0))
    keys = [axis, "attackers", rate]
    per_run = rows.groupby(["run", *keys], as_index=False)[["clean_removed", "seen"]].sum()
    per_run = per_run[per_run["seen"] > 0]
    per_run["share"] = per_run["clean_removed"] / per_run["seen"]
    return {tuple(text(k) if isinstance(k, (str, bytes)) else k for k in key):
            intervals.mean_interval(group["share"], intervals.PROPORTION)
            for key, group in per_run.groupby(keys)}


def draw(path, guards, attackers, rates, shares, cell, undefended, seeds, title):
    """One panel per share: each defense's accuracy per attacker with its 95% interval (the
    aggregate table's bounds, which need not be symmetric), the undefended clean-only band.
    Text is 9 pt or more at the width the README shows (12 inches at most)."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    # One panel per share, side by side for a few defenses, one above the other for many, so
    # the figure stays at most 12 inches wide.
    wide = len(guards) <= 8
    figure, axes = plt.subplots(1 if wide else len(rates), len(rates) if wide else 1,
                                figsize=(5.8 * len(rates), 5.0) if wide else
                                (12, 4.4 * len(rates)), sharey=True)
    series = ["none"] + attackers
    step = min(0.22, 0.8 / len(series))
    labels = {"none": "clean only"}
    for ax, r in zip(axes, rates):
        ax.axhspan(undefended["ci95_low"], undefended["ci95_high"], color="0.85",
                   label="undefended, clean only (95% interval)")
        for k, a in enumerate(series):
            xs, ys, below, above = [], [], [], []
            for g, guard in enumerate(guards):
                row = cell(guard, a, r)
                if row is not None:
                    xs.append(g + (k - (len(series) - 1) / 2) * step)
                    ys.append(row["mean"])
                    below.append(max(row["mean"] - row["ci95_low"], 0.0))
                    above.append(max(row["ci95_high"] - row["mean"], 0.0))
            ax.errorbar(xs, ys, yerr=[below, above], fmt="o", capsize=3,
                        label=labels.get(a, a))
        ax.set_xticks(range(len(guards)))
        ax.set_xticklabels([short_label(g) for g in guards], fontsize=9)
        ax.set_title(f"{shares[r]} of the batches poison from 60 s")
        ax.grid(axis="y", alpha=0.3)
    axes[0].set_ylabel("mean clean test accuracy over the run")
    # Below the panels: the legend covers no point.
    handles, names = axes[0].get_legend_handles_labels()
    figure.legend(handles, names, fontsize=10, loc="lower center", ncol=len(names),
                  frameon=False)
    figure.suptitle(f"{title}: accuracy by defense and attacker (mean over {seeds} seeds, 95% "
                    "intervals)")
    figure.tight_layout(rect=(0, 0.07, 1, 1))
    figure.savefig(path, dpi=110)


def load_grid(path, axis):
    """The sweep's aggregate table with the defense (`guard`) and attacker name columns; raises
    InputError when it is not a defense grid swept over `axis`."""
    try:
        with h5py.File(path, "r") as f:
            frame = pd.DataFrame(f["aggregate"][:])
    except (OSError, KeyError) as error:
        raise InputError(path, str(error))
    if not {axis, "attackers", RATE} <= set(frame.columns):
        raise InputError(path, f"not a defense grid (axes {axis}, attackers, {RATE})")
    for column in (axis, "attackers", "metric"):
        frame[column] = frame[column].map(text)
    frame["guard"] = frame[axis]  # the defense, whichever key it was swept as
    frame["attacker"] = frame["attackers"].map(attacker_name)
    return frame


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("sweep")
    parser.add_argument("--figure", help="also draw the accuracy of every cell to this PNG")
    parser.add_argument("--axis", default="guard",
                        help="the swept key whose values are the defenses: guard (per-sample "
                             "stages, the default) or sanitize (window sanitizers; ~ is none)")
    parser.add_argument("--sanitizers", metavar="SWEEP",
                        help="a sanitizer grid (swept over sanitize, same attackers and shares) "
                             "whose sanitizers join the table as rows `sanitize: [...]`; the "
                             "undefended reference stays the first sweep's")
    args = parser.parse_args()
    try:
        frame = load_grid(args.sweep, args.axis)
        sanitized = sanitizer_clean_removals(args.sweep, args.axis, RATE) \
            if args.axis == "sanitize" else {}
        if args.sanitizers:
            more = load_grid(args.sanitizers, "sanitize")
            more = more[more.guard != "~"].copy()
            more["guard"] = "sanitize: " + more["guard"]
            frame = pd.concat([frame, more], ignore_index=True)
            sanitized.update({("sanitize: " + k[0], *k[1:]): v for k, v in
                              sanitizer_clean_removals(args.sanitizers, "sanitize", RATE).items()})
    except InputError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    removals = args.axis == "sanitize" or bool(args.sanitizers)
    rates = sorted(frame[RATE].unique())
    # The share of the batches while the attacker sends (the stream sends 2 batches/s).
    shares = {r: f"{r / (2.0 + r):.0%}" for r in rates}
    attackers = [a for a in dict.fromkeys(frame["attacker"]) if a != "none"]
    guards = list(dict.fromkeys(frame["guard"]))

    def cell(guard, attacker, r, metric=METRIC):
        rows = frame[(frame.guard == guard) & (frame.attacker == attacker) & (frame[RATE] == r) &
                     (frame.metric == metric)]
        return rows.iloc[0] if len(rows) else None

    def show(row, form="{:.4f}"):
        return "-" if row is None else f"{form.format(row['mean'])} ± {form.format(row['ci95_half_width'])}"

    undefended = cell(guards[0], "none", rates[0])
    clean_only = frame[frame.attacker == "none"]
    none_attackers = dict(zip(clean_only["guard"], clean_only["attackers"]))

    def clean_removed(guard):
        value = sanitized.get((guard, none_attackers.get(guard), rates[0]))
        if value is None or value["n"] == 0:
            return "-"
        return f"{value['mean']:.2%} [{value['low']:.2%}, {value['high']:.2%}]"

    header = ["defense", "clean-only", "clean rejected"] + (
        ["clean removed"] if removals else []) + [
        f"{a} {shares[r]}" for a in attackers for r in rates]
    print("| " + " | ".join(header) + " |")
    print("|" + " --- |" * len(header))
    failures = {}
    for guard in guards:
        own = cell(guard, "none", rates[0])
        cells = ["none" if guard == "~" else guard, show(own),
                 show(cell(guard, "none", rates[0], "false_positive_rate"), "{:.1%}")]
        if removals:
            cells.append(clean_removed(guard))
        for a in attackers:
            for r in rates:
                row = cell(guard, a, r)
                cells.append(show(row))
                if row is None:
                    continue
                for name, reference in (("its own", own), ("the undefended", undefended)):
                    if reference is not None and row["ci95_high"] < reference["ci95_low"]:
                        failures.setdefault(guard, []).append(f"{a} {shares[r]} (below {name})")
        print("| " + " | ".join(cells) + " |")
    print(f"\nmean clean test accuracy over the run ({METRIC}), mean over seeds ± half-width of the "
          "95% interval; clean rejected: share of clean samples the per-sample guard rejected in "
          "the clean-only runs" + ("; clean removed: share of the clean samples given to the "
                                   "window sanitizers that they removed in the clean-only runs, "
                                   "mean [95% interval] over seeds, from each run's defense table "
                                   "('-' when the sweep file keeps no run traces)"
                                   if removals else ""))
    # What each defense let into training: the poison's share of the retraining buffer, after
    # the guard and the sanitizers, averaged over the run's retrains.
    print("\n| defense | " + " | ".join(f"{a} {shares[r]}" for a in attackers for r in rates) +
          " |")
    print("|" + " --- |" * (1 + len(attackers) * len(rates)))
    for guard in guards:
        cells = ["none" if guard == "~" else guard]
        for a in attackers:
            for r in rates:
                cells.append(show(cell(guard, a, r, "buffer_poison_fraction_mean"), "{:.1%}"))
        print("| " + " | ".join(cells) + " |")
    print("\npoison share of the retraining buffer (buffer_poison_fraction_mean), mean over seeds "
          "± half-width of the 95% interval\n")
    if args.figure:
        counts = frame.loc[frame.metric == METRIC, "n"]  # the runs behind each plotted mean
        seeds = "-".join(str(n) for n in sorted({int(counts.min()), int(counts.max())}))
        title = "Sanitizer grid" if args.axis == "sanitize" and not args.sanitizers \
            else "Defense grid"
        draw(args.figure, guards, attackers, rates, shares, cell, undefended, seeds, title)
    for guard in guards:
        listed = failures.get(guard)
        print(f"- {'none' if guard == '~' else guard}: " + ("fails at " + ", ".join(listed) if listed else
                                "no cell's interval lies below a clean-only interval"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
