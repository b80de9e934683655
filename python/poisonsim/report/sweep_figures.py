"""Figures of a sweep file: accuracy vs each swept parameter (the ROC is in roc_figure), and
every run's accuracy curve overlaid. When the sweep has a seed axis and an aggregate table,
the ROC and accuracy figures show each setting's mean over its seeds with 95% confidence
intervals (from the file's aggregate table, bounded to what each metric can be) instead of
one curve per seed."""
import numpy as np
from matplotlib import cm, colors, ticker

from poisonsim import intervals
from poisonsim.report import plotting, text_fit
from poisonsim.report.plotting import plt
from poisonsim.report.setting_labels import setting_text as _fmt, with_unit

RASTERIZE_CURVES = 50  # run curves drawn as pixels inside the SVG beyond this many
SEED = "seed"


def threshold_parameter(sweep):
    """The first swept key path ending in "threshold" with numeric values, if any."""
    for path in sweep.parameters:
        if path.endswith("threshold") and _numeric(sweep.summary, path):
            return path
    return None


def ok_runs(sweep):
    return sweep.summary[sweep.summary["status"] == "ok"]


def seeded(sweep):
    """True when the figures average over a seed axis (the file has the aggregate table)."""
    return SEED in sweep.parameters and sweep.aggregate is not None


def cell_parameters(sweep):
    """The swept parameters that make a setting (cell): every one but the seed when seeded."""
    return [p for p in sweep.parameters if not (seeded(sweep) and p == SEED)]


def cells(sweep):
    """One row per cell: its parameter values, then per metric of the aggregate table its mean
    (column <metric>), the bounds of its 95% CI (<metric>_low, <metric>_high; NaN with fewer
    than 2 values) and n (<metric>_n), plus runs and failed. None unless seeded. A table
    without a `kind` column predates bounded intervals: they are recomputed from mean, sd and n
    (poisonsim.intervals, as C++ computes them)."""
    if not seeded(sweep):
        return None
    aggregate = sweep.aggregate
    bounded = "kind" in aggregate.columns
    out = aggregate.groupby("cell", sort=True).first()[[*cell_parameters(sweep), "runs", "failed"]]
    for metric, rows in aggregate.groupby("metric", sort=False):
        rows = rows.set_index("cell")
        out[metric] = rows["mean"]
        if bounded:
            out[f"{metric}_low"], out[f"{metric}_high"] = rows["ci95_low"], rows["ci95_high"]
        else:
            kind = intervals.metric_kind(metric)
            pairs = [intervals.bounds(m, sd, int(n), kind)
                     for m, sd, n in zip(rows["mean"], rows["sd"], rows["n"])]
            out[f"{metric}_low"] = [low for low, _ in pairs]
            out[f"{metric}_high"] = [high for _, high in pairs]
        out[f"{metric}_n"] = rows["n"]
    return out.reset_index()


def errors(rows, metric):
    """The [below, above] distances from each mean to its interval's bounds, as errorbar takes
    them (an interval bounded by what the metric can be is not symmetric)."""
    below = (rows[metric] - rows[f"{metric}_low"]).clip(lower=0)  # rounding: never negative
    return [below, (rows[f"{metric}_high"] - rows[metric]).clip(lower=0)]


def _seeds(sweep):
    return sorted(ok_runs(sweep)[SEED].unique()) if SEED in sweep.summary else []


def _interval_note(sweep):
    return (f"Points are means over the seeds of each setting ({len(_seeds(sweep))} seeds); bars "
            "are 95% confidence intervals of the mean (Student t with n - 1 degrees of freedom "
            "on the logit scale, so they stay inside [0, 1]; n the runs that finished; no bar "
            "where n = 1). ")


def _numeric(frame, column):
    return frame[column].dtype.kind in "fiu"


def _groups(frame, by):
    """(label, rows) per combination of the parameters `by` (one group when `by` is empty)."""
    if not by:
        return [("", frame)]
    out = []
    for key, rows in frame.groupby(by[0] if len(by) == 1 else by, sort=True):
        key = key if isinstance(key, tuple) else (key,)
        out.append((", ".join(f"{p} = {_fmt(v)}" for p, v in zip(by, key)), rows))
    return out


def _norm(values):
    values = [float(v) for v in values]
    if plotting.spans_decades(values):
        return colors.LogNorm(min(values), max(values))
    low, high = min(values), max(values)
    return colors.Normalize(low, high if high > low else low + 1)


def _value_ticks(axis, values, most=12):
    """Ticks at the swept values themselves (a log axis would otherwise show only 10^k)."""
    values = sorted({float(v) for v in values})
    if len(values) <= most:
        axis.set_major_locator(ticker.FixedLocator(values))
        axis.set_major_formatter(ticker.FixedFormatter([f"{v:g}" for v in values]))
        axis.set_minor_locator(ticker.NullLocator())


def accuracy_vs(sweep, parameter, directory, name):
    """accuracy_last and accuracy_mean against one swept parameter."""
    runs = ok_runs(sweep)
    if not len(runs):
        return None
    means = seeded(sweep) and parameter != SEED
    frame = cells(sweep) if means else runs
    others = [p for p in cell_parameters(sweep) if p != parameter]
    numeric = _numeric(frame, parameter)
    fig, ax = plt.subplots(figsize=(7.5, 4.6))
    thinned = []
    categories = sorted(runs[parameter].unique()) if not numeric else None

    def position(values):
        return values if numeric else [categories.index(v) for v in values]

    spans = list(runs["accuracy_last"]) + list(runs["accuracy_mean"])
    groups = _groups(frame, others)
    for i, (label, rows) in enumerate(groups):
        rows = rows.sort_values(parameter)
        x = position(rows[parameter])
        suffix = f" ({label})" if label else ""
        # Text values have no order: no lines between them, and each group's points side by
        # side (the last metric a little further) so their bars do not overprint.
        styles = (("o-", "s--") if numeric else ("o", "s"))
        for k, (metric, style, what) in enumerate(
                (("accuracy_last", styles[0], "at the end of the run"),
                 ("accuracy_mean", styles[1], "mean over the run"))):
            if not numeric:
                x = [v + 0.3 * ((2 * i + k + 0.5) / (2 * len(groups)) - 0.5) for v in
                     position(rows[parameter])]
            if means and numeric:
                ax.plot(x, rows[metric], style, color=f"C{i % 10}", ms=4,
                        alpha=1 if metric == "accuracy_last" else 0.8,
                        label=f"{what}, mean{suffix}")
                low, high = rows[f"{metric}_low"], rows[f"{metric}_high"]
                if metric == "accuracy_last":  # a band; the dashed mean's CI as thin bars
                    plotting.ci_band(ax, x, low, high, f"C{i % 10}",
                                     label=f"95% CI of the mean{suffix}")
                else:
                    plotting.ci_bars(ax.errorbar(x, rows[metric], yerr=errors(rows, metric),
                                                 fmt="none", ecolor=f"C{i % 10}",
                                                 elinewidth=0.8, capsize=2, alpha=0.6),
                                     f"{metric}-{i}")
                spans += list(low) + list(high)
            elif means:
                bars = ax.errorbar(x, rows[metric], yerr=errors(rows, metric), fmt=style,
                                   color=f"C{i % 10}", ms=4, capsize=3, elinewidth=1,
                                   alpha=1 if metric == "accuracy_last" else 0.8,
                                   label=f"{what}, mean and 95% CI{suffix}")
                plotting.ci_bars(bars, f"{metric}-{i}")
                spans += list(rows[f"{metric}_low"]) + list(rows[f"{metric}_high"])
            else:
                ax.plot(x, rows[metric], style, color=f"C{i % 10}", ms=4 if style == "o-" else 3,
                        alpha=1 if metric == "accuracy_last" else 0.8, label=f"{what}{suffix}")
    if means:  # every run behind the means, so the spread is visible too
        ax.scatter(position(runs[parameter]), runs["accuracy_last"], s=9, color="0.45",
                   alpha=0.5, zorder=0, label="single runs (at the end)")
    if numeric and plotting.spans_decades(list(frame[parameter].astype(float))):
        ax.set_xscale("log")
    if numeric:  # ticks at the swept values, not at 1.25 and 1.75 between three of them
        _value_ticks(ax.xaxis, frame[parameter])
        values = sorted({float(v) for v in frame[parameter]})
        if len(values) <= 12:  # none so close to the one before that their labels overprint
            thinned = [v for v in values if v not in text_fit.thin_ticks(
                [ax], values, [f"{v:g}" for v in values])]
    if not numeric:
        # Attacker lists by their names; labels that would overprint are slanted.
        text_fit.slant_if_crowded(ax, range(len(categories)), [_fmt(c) for c in categories])
    ax.set_xlabel(with_unit(parameter, sweep.scenario_text)
                  + (" (log scale)" if ax.get_xscale() == "log" else ""))
    ax.set_ylabel("clean test accuracy (fraction correct)")
    low, high = honest_limits(spans)
    ax.set_ylim(low, high)
    ax.set_title(f"Clean test accuracy vs {parameter}")
    plotting.legend_outside(ax)
    if numeric:
        intervals = _interval_note(sweep).replace(
            "bars are", "the band around the solid line and the bars on the dashed one are")
        kinds = "(circles, solid) and averaged over its evaluations (squares, dashed)"
    else:
        intervals = _interval_note(sweep)
        kinds = ("(circles) and averaged over its evaluations (squares), side by side per "
                 "combination of the other parameters")
    caption = (f"Clean test accuracy of the deployed model at the end of the run {kinds}, "
               f"against {parameter}. "
               + (intervals + "Grey dots: each run's accuracy at the end. "
                  if means else "One point per run. ")
               + f"The y axis spans at least {MIN_ACCURACY_SPAN:g}, so that differences "
               "smaller than the seeds' noise do not fill the plot."
               + (" Swept values too close to label each on this axis are not ticked: "
                  + ", ".join(_fmt(v) for v in thinned) + "." if thinned else ""))
    return plotting.save(fig, name, f"Accuracy vs {parameter}", caption, directory,
                         compares_settings=means)


MIN_ACCURACY_SPAN = 0.1  # accuracy axes span at least this much (fraction correct)


def honest_limits(values, span=MIN_ACCURACY_SPAN):
    """y limits covering `values` (NaN ignored), at least `span` wide and inside [0, 1.02]."""
    values = [float(v) for v in values if np.isfinite(v)]
    if not values:
        return 0.0, 1.0
    low, high = min(values), max(values)
    pad = max(0.0, span - (high - low)) / 2 + 0.01
    low, high = max(0.0, low - pad), min(1.02, high + pad)
    if high - low < span:  # clipped at one end: widen at the other
        low, high = (0.0, span) if low == 0.0 else (high - span, high)
    return low, high


def run_curves(sweep, curves, directory, name):
    """Every run's accuracy over time as steps; `curves` maps run id -> evaluations."""
    if not curves:
        return None
    summary = sweep.summary.set_index("run")
    parameter = threshold_parameter(sweep) or next(
        (p for p in cell_parameters(sweep) if _numeric(sweep.summary, p)), None)
    fig, ax = plt.subplots(figsize=(9, 4.6))
    values = summary.loc[list(curves), parameter] if parameter else None
    palette = plotting.categorical(sorted(values)) if parameter else None
    if parameter is not None and palette is None:
        mapper = cm.ScalarMappable(norm=_norm(values), cmap="viridis")
    # Every run's last step is held to the latest evaluation of any run.
    end = max((float(e["time"].max()) for e in curves.values() if len(e)), default=0.0)
    labelled = set()
    for i, (run, evaluations) in enumerate(sorted(curves.items())):
        if parameter is None:
            color, label = f"C{i % 10}", f"run {run}" if len(curves) <= 12 else None
        elif palette is not None:
            value = summary.loc[run, parameter]
            color = palette[value]
            label = None if value in labelled else f"{parameter} = {_fmt(value)}"
            labelled.add(value)
        else:
            color, label = mapper.to_rgba(summary.loc[run, parameter]), None
        times, accuracy = list(evaluations["time"]), list(evaluations["accuracy"])
        if times and end > times[-1]:
            times.append(end)
            accuracy.append(accuracy[-1])
        # Hundreds of vector curves would make the page's SVG heavy; pixels look the same.
        ax.step(times, accuracy, where="post", color=color, lw=1.1, alpha=0.8, label=label,
                rasterized=len(curves) > RASTERIZE_CURVES)
    if parameter is not None and palette is None:
        _value_ticks(fig.colorbar(mapper, ax=ax, label=with_unit(parameter, sweep.scenario_text))
                     .ax.yaxis, values)
    ax.set_xlabel("simulated time (s)")
    ax.set_ylabel("clean test accuracy (fraction correct)")
    ax.set_title(f"Clean test accuracy over time, {len(curves)} runs")
    if (parameter is None or palette is not None) and (palette is not None or len(curves) <= 12):
        plotting.legend_outside(ax)
    caption = ("Each line is one successful run's clean test accuracy over simulated time, as "
               "steps (the deployed model changes only at deploys)"
               + (f", coloured by {parameter}." if parameter else "."))
    return plotting.save(fig, name, "Accuracy over time, every run", caption, directory)


TABLE_COLUMNS = ("accuracy_last", "accuracy_mean", "accuracy_min", "true_positive_rate",
                 "false_positive_rate", "poison_accepted_fraction", "deployed", "refused")


def summary_table(sweep):
    """(columns, rows) of the runs, for the page."""
    columns = ["run", "status", *sweep.parameters,
               *[c for c in TABLE_COLUMNS if c in sweep.summary.columns]]
    rows = [[_cell(row[c]) for c in columns] for _, row in sweep.summary.iterrows()]
    return columns, rows


def means_table(sweep):
    """(columns, rows) of the means over seeds per setting, "mean [low, high] (n)", or None."""
    frame = cells(sweep)
    if frame is None:
        return None
    metrics = [m for m in TABLE_COLUMNS if m in frame.columns]
    columns = ["setting", *cell_parameters(sweep), "runs (failed)", *metrics]
    rows = []
    for _, row in frame.iterrows():
        cells_of_row = [str(int(row["cell"])), *[_cell(row[p]) for p in cell_parameters(sweep)],
                        f"{int(row['runs'])} ({int(row['failed'])})"]
        for metric in metrics:
            mean, n = row[metric], int(row[f"{metric}_n"])
            low, high = row[f"{metric}_low"], row[f"{metric}_high"]
            if n == 0:
                cells_of_row.append("-")
            elif np.isnan(low):
                cells_of_row.append(f"{mean:.4g} (n = 1)")
            else:
                cells_of_row.append(f"{mean:.4g} [{low:.4g}, {high:.4g}] (n = {n})")
        rows.append(cells_of_row)
    return columns, rows


def _cell(value):
    if isinstance(value, (float, np.floating)):
        return "-" if np.isnan(value) else f"{value:.4g}"
    return str(value)
