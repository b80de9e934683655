"""Figures of a seeded sweep over numeric axes, generic over what the axes are:

- dose-response: one numeric axis X (and any text axes): each headline accuracy metric against
  X, one line per combination of the text axes, with 95% CI bands of the mean over seeds;
- stress-test maps: two numeric axes (e.g. an attacker's rate and guard.threshold): per facet
  of the other axes, heatmaps of the accuracy loss (or accuracy), the poison and clean rejection
  rates and the retrains refused, each cell "mean [CI low, high]", the best column per row
  boxed, a loss whose interval includes 0 not coloured.

Also the table of the scenario each run ran (base + common --set + axis values), and the
offline ROC of a sweep's recorded losses."""
import html
import json

import numpy as np
from matplotlib import colors, patches

from poisonsim import intervals
from poisonsim.report import plotting, roc_curves, sweep_figures, text_fit
from poisonsim.report.plotting import plt
from poisonsim.report.setting_labels import mapping_names, with_unit

DOSE_METRICS = (("accuracy_last", "at the end of the run"),
                ("accuracy_mean", "mean over the run"),
                ("accuracy_min", "lowest"))
# (metric, panel title, colour map, text format); the first panel may become accuracy loss.
MAP_METRICS = (("accuracy_mean", "mean accuracy over the run", "viridis", ".3f"),
               ("true_positive_rate", "poison rejection rate", "Reds", ".2f"),
               ("false_positive_rate", "clean rejection rate", "Blues", ".2f"),
               ("refused", "retrains refused by the gate", "Purples", ".2g"))
NO_EFFECT_GREY = "#e6e6e6"  # a loss cell whose interval includes 0
CELL_FONTSIZE = 9  # each map cell's "mean\n[low, high]"
CELL_INCHES = 1.02  # a map column's width: "[-0.027, 0.034]" at CELL_FONTSIZE is 0.94 inch
MAP_COLUMNS_SIDE_BY_SIDE = 4  # wider maps are stacked, one panel per row
OFFLINE_MAX_SAMPLES = 200000  # pooled samples for the offline ROC, spread over the runs


def numeric_axes(sweep):
    frame = sweep.aggregate
    return [p for p in sweep_figures.cell_parameters(sweep) if frame[p].dtype.kind in "fiu"]


def figures(sweep, directory, prefix):
    """The dose-response and stress-test figures this sweep's axes call for ([] if none)."""
    if not sweep_figures.seeded(sweep):
        return []
    frame = sweep_figures.cells(sweep)
    numeric = numeric_axes(sweep)
    out = []
    if len(numeric) == 1 and numeric[0] != sweep_figures.threshold_parameter(sweep):
        out.append(dose_response(sweep, frame, numeric[0], directory, f"{prefix}-dose.png"))
    elif len(numeric) >= 2:
        rows, columns = _map_axes(sweep, numeric)
        facets = [p for p in sweep_figures.cell_parameters(sweep) if p not in (rows, columns)]
        for k, (label, cells) in enumerate(sweep_figures._groups(frame, facets)):
            out.append(stress_map(cells, rows, columns, label, directory,
                                  f"{prefix}-stress-map-{k}.png",
                                  with_unit(columns, sweep.scenario_text)))
    return out


def _map_axes(sweep, numeric):
    """(row axis, column axis): a threshold goes on the columns (the best one per row is the
    question), the other first numeric axis on the rows."""
    threshold = sweep_figures.threshold_parameter(sweep)
    if threshold in numeric[:2]:
        return next(p for p in numeric if p != threshold), threshold
    return numeric[0], numeric[1]


def group_label(others, rows):
    """A line's legend entry: with one other swept parameter its value alone (the legend's title
    names the parameter), a list of attackers by their names without brackets (the methods)."""
    if len(others) != 1:
        return ", ".join(f"{p} = {sweep_figures._fmt(rows[p].iloc[0])}" for p in others)
    value = rows[others[0]].iloc[0]
    names = mapping_names(str(value)) if isinstance(value, str) else []
    return " + ".join(names) if names else sweep_figures._fmt(value)


def dose_response(sweep, frame, x_axis, directory, name):
    others = [p for p in sweep_figures.cell_parameters(sweep) if p != x_axis]
    groups = sweep_figures._groups(frame, others)
    # One y axis for the three panels: their lines compare across panels too.
    fig, axes = plt.subplots(1, len(DOSE_METRICS), figsize=(3.6 * len(DOSE_METRICS), 4.2),
                             sharex=True, sharey=True)
    log = plotting.spans_decades(list(frame[x_axis].astype(float)))
    shares = poison_shares(frame, x_axis)
    spans = []
    for ax, (metric, what) in zip(axes, DOSE_METRICS):
        for i, (_, rows) in enumerate(groups):
            rows = rows.sort_values(x_axis)
            x, mean = rows[x_axis], rows[metric]
            low, high = rows[f"{metric}_low"], rows[f"{metric}_high"]
            ax.plot(x, mean, "o-", color=f"C{i % 10}", ms=4, lw=1.4,
                    label=group_label(others, rows) if others else "mean")
            plotting.ci_band(ax, x, low, high, f"C{i % 10}")
            spans += list(low) + list(high)
        if log:
            ax.set_xscale("log")
        ax.set_title(f"accuracy {what}")
    axes[0].set_ylim(*sweep_figures.honest_limits(spans))
    axes[0].set_ylabel("clean test accuracy (fraction correct)")
    thinned = _share_ticks(axes, frame, x_axis, shares)
    plotting.legend_outside(axes[-1], title=(f"{others[0]}\n" if len(others) == 1 else "")
                            + "mean over seeds; band: 95% CI")
    fig.suptitle(f"Dose-response: clean test accuracy vs {x_axis}")
    caption = (f"Each headline accuracy metric against {x_axis}, one line per combination of "
               "the other swept values (colours). Lines: means over the seeds of each setting; "
               "bands: 95% confidence intervals of the mean (Student t, n - 1 degrees of "
               "freedom, on the logit scale so that they stay inside [0, 1]; from the sweep's "
               "aggregate table; none where n = 1). The panels share one y axis, spanning "
               f"at least {sweep_figures.MIN_ACCURACY_SPAN:g}."
               + (" Under each tick: the share of poison in all the data that arrived over the "
                  "run, the mean over the settings that sent poison." if shares else "")
               + (f" Swept values too close to label each on this axis are not ticked: "
                  f"{', '.join(sweep_figures._fmt(v) for v in thinned)}." if thinned else ""))
    return plotting.save(fig, name, f"Dose-response over {x_axis}", caption, directory,
                         compares_settings=True)


def poison_shares(frame, x_axis):
    """{x value: the mean share of poison in the data that arrived} over the cells at that value
    that saw poison ({} without the sample counts): a rate axis read as the dose it gives."""
    if "poison_samples" not in frame or "clean_samples" not in frame:
        return {}
    total = frame["poison_samples"] + frame["clean_samples"]
    share = (frame["poison_samples"] / total.where(total > 0)).where(frame["poison_samples"] > 0)
    means = share.groupby(frame[x_axis]).mean()
    return {x: v for x, v in means.items() if np.isfinite(v)}


def _share_ticks(axes, frame, x_axis, shares):
    """Ticks at the swept values, each with its measured poison share (`shares`) below it,
    leaving out values too close to the one before to label without overprinting; returns
    the values left out."""
    values = sorted(float(v) for v in frame[x_axis].unique())
    labels = [f"{v:g}\n{shares[v]:.1%}" if v in shares else f"{v:g}" for v in values]
    kept = text_fit.thin_ticks(axes, values, labels)
    for ax in axes:
        ax.set_xlabel(f"{x_axis}\n(below it: poison share, measured)" if shares else x_axis)
    return [v for v in values if v not in kept]


def clean_reference(cells):
    """The best mean accuracy among cells that saw no poison (a clean-only reference), or None."""
    if "poison_samples" not in cells:
        return None
    clean = cells[cells["poison_samples"] == 0]
    return float(clean["accuracy_mean"].max()) if len(clean) else None


def best_columns(grid, higher_is_better=True):
    """Per row of `grid` (rows x columns, NaN allowed) the index of its best column (-1: none)."""
    out = []
    for row in grid:
        if np.all(np.isnan(row)):
            out.append(-1)
        else:
            out.append(int(np.nanargmax(row) if higher_is_better else np.nanargmin(row)))
    return out


def _grid(cells, rows, columns, metric, row_values, column_values):
    """(mean, low, high) grids of one metric: rows x columns, NaN where no cell."""
    mean = np.full((len(row_values), len(column_values)), np.nan)
    low, high = np.full_like(mean, np.nan), np.full_like(mean, np.nan)
    for _, cell in cells.iterrows():
        i, j = row_values.index(cell[rows]), column_values.index(cell[columns])
        mean[i, j] = cell[metric]
        low[i, j], high[i, j] = cell[f"{metric}_low"], cell[f"{metric}_high"]
    return mean, low, high


def effects(low, high):
    """Cells whose interval (of a difference) excludes 0: a loss beyond the seeds' noise. A cell
    with no interval (n = 1) is not called an effect."""
    with np.errstate(invalid="ignore"):
        return np.vectorize(intervals.excludes_zero, otypes=[bool])(low, high)


def row_labels(cells, rows, row_values):
    """(tick labels, axis label) of a map's rows: the measured poison share of the data that
    arrived, with the swept value in parentheses, and "0 (clean only)" for a row whose runs saw
    no poison (e.g. a rate of 1e-09 standing for none); the values alone without the counts."""
    if "poison_samples" not in cells:
        return [sweep_figures._fmt(v) for v in row_values], rows
    shares = poison_shares(cells, rows)
    labels = []
    for value in row_values:
        if (cells.loc[cells[rows] == value, "poison_samples"] == 0).all():
            labels.append("0 (clean only)")
        else:
            share = shares.get(value)
            labels.append(sweep_figures._fmt(value) if share is None else
                          f"{share:.1%} ({sweep_figures._fmt(value)})")
    return labels, f"poison share of the arrived data, measured\n(in parentheses: {rows})"


def constant(grid):
    """True when every cell of the grid that has a value has the same one (or none has)."""
    finite = grid[np.isfinite(grid)]
    return not len(finite) or bool(np.ptp(finite) == 0)


def _panels(cells, rows, columns, row_values, column_values, reference):
    """(panels, best, dropped): per kept MAP_METRICS entry (metric, title, cmap, fmt, mean, low,
    high, coloured); the best column per row; the titles and value of the panels left out as
    constant over the grid (never the first, the accuracy)."""
    panels, best, dropped = [], None, []
    for k, (metric, title, cmap, fmt) in enumerate(MAP_METRICS):
        mean, low, high = _grid(cells, rows, columns, metric, row_values, column_values)
        coloured = np.ones(mean.shape, bool)
        if metric == "accuracy_mean":
            best = best_columns(mean)
            if reference is not None:  # a difference: its interval is the accuracy's, reversed
                mean, low, high = reference - mean, reference - high, reference - low
                title, cmap = "mean accuracy loss vs clean-only", "Oranges"
                coloured = effects(low, high)
        if k > 0 and constant(mean):
            finite = mean[np.isfinite(mean)]
            dropped.append(f"{title} ({finite[0]:{fmt}} everywhere)" if len(finite) else
                           f"{title} (no values)")
            continue
        panels.append((metric, title, cmap, fmt, mean, low, high, coloured))
    return panels, best, dropped


def stress_map(cells, rows, columns, facet, directory, name, column_label=None):
    row_values = sorted(cells[rows].unique())
    column_values = sorted(cells[columns].unique())
    reference = clean_reference(cells)
    panels, best, dropped = _panels(cells, rows, columns, row_values, column_values, reference)
    labels, row_axis = row_labels(cells, rows, row_values)
    # Each cell is wide enough for "mean [low, high]" at CELL_FONTSIZE; two panels side by side
    # up to MAP_COLUMNS_SIDE_BY_SIDE columns, else one per row, so that the figure stays within
    # the page's width (text is not shrunk to fit); a panel constant over the grid is left
    # out (the caption says so), not drawn flat.
    grid_columns = 2 if len(panels) > 1 and len(column_values) <= MAP_COLUMNS_SIDE_BY_SIDE else 1
    grid_rows = -(-len(panels) // grid_columns)
    fig, axes = plt.subplots(grid_rows, grid_columns, squeeze=False, sharey=True, figsize=(
        grid_columns * (CELL_INCHES * len(column_values) + 1.05) + 1.4,
        (4.25 + 0.2 * max(len(row_values) - 5, 0)) * grid_rows + (0.3 if grid_rows == 1 else 0)))
    for ax in axes.flat[len(panels):]:  # an odd panel out leaves its place empty
        ax.set_visible(False)
    for k, (ax, panel) in enumerate(zip(axes.flat, panels)):
        metric, title, cmap, fmt, mean, low, high, coloured = panel
        finite = mean[np.isfinite(mean)]
        vmin, vmax = (float(finite.min()), float(finite.max())) if len(finite) else (0.0, 1.0)
        if vmax <= vmin:  # a constant panel: mid-scale colour, not an extreme
            vmin, vmax = vmin - 0.5 * max(abs(vmin), 1e-3), vmax + 0.5 * max(abs(vmax), 1e-3)
        # A loss whose interval includes 0 is not coloured as one: a light grey cell instead.
        shown = np.where(coloured, mean, np.nan)
        ax.imshow(np.where(coloured | np.isnan(mean), np.nan, 0.0), cmap=colors.ListedColormap(
            [NO_EFFECT_GREY]), aspect="auto", origin="lower", vmin=0, vmax=1)
        image = ax.imshow(shown, cmap=cmap, aspect="auto", origin="lower", vmin=vmin,
                          vmax=vmax)
        fig.colorbar(image, ax=ax, fraction=0.046, pad=0.03)
        for i in range(len(row_values)):
            for j in range(len(column_values)):
                if np.isnan(mean[i, j]):
                    continue
                text = f"{mean[i, j]:{fmt}}" + ("" if np.isnan(low[i, j]) else
                                                 f"\n[{low[i, j]:{fmt}}, {high[i, j]:{fmt}}]")
                r, g, b, _ = image.cmap(image.norm(mean[i, j])) if coloured[i, j] else (
                    1, 1, 1, 1)
                dark = 0.299 * r + 0.587 * g + 0.114 * b < 0.5  # white text on dark cells
                label = ax.text(j, i, text, ha="center", va="center", fontsize=CELL_FONTSIZE,
                                color="white" if dark else "black")
                label.set_gid(f"{plotting.CI_BAND_GID}-text-{metric}-{i}-{j}")
        ax.set_xticks(range(len(column_values)), [sweep_figures._fmt(v) for v in column_values])
        ax.set_yticks(range(len(row_values)), labels)
        ax.set_xlabel(column_label or columns)
        if k % grid_columns == 0:  # the rows' long label once per row of panels
            ax.set_ylabel(row_axis)
        ax.set_title(title)
        ax.grid(False)
        for i, j in enumerate(best or []):
            if j >= 0:
                ax.add_patch(patches.Rectangle((j - 0.5, i - 0.5), 1, 1, fill=False, lw=2.2,
                                               edgecolor="black"))
    fig.suptitle("Stress-test map" + (f": {facet}" if facet else ""))
    fig.tight_layout()
    caption = ("Means over the seeds of each setting, each cell annotated with the mean and "
               "its 95% confidence interval [low, high] (Student t on the logit scale for "
               "rates and accuracies, never below 0 for counts, so intervals stay inside "
               "what each can be; from the aggregate table; none where n = 1). "
               f"Rows: {rows}; columns: {columns}. "
               + (f"First panel: the accuracy loss, {reference:.4f} (the best mean accuracy of "
                  "a cell that saw no poison, taken as exact) minus the cell's mean accuracy "
                  "over the run; a cell whose loss interval includes 0 (or has no interval) is "
                  "light grey, not coloured: no loss beyond the seeds' noise. "
                  if reference is not None else
                  "First panel: mean accuracy over the run (no cell without poison to compare "
                  "with). ")
               + f"Boxed: in each row, the {columns} with the highest mean accuracy over the "
               "run (the best setting of that column's parameter for that poison share). "
               + ("Rows: the share of poison in all the data that arrived over the run, "
                  "measured (mean over the row's cells that saw poison), its swept value in "
                  "parentheses; 0 (clean only): no run of the row saw poison. "
                  if "poison_samples" in cells else "")
               + ("Left out as constant over the grid: " + "; ".join(dropped) + "."
                  if dropped else ""))
    return plotting.save(fig, name, "Stress-test map" + (f" ({facet})" if facet else ""),
                         caption, directory, compares_settings=True)


def offline_roc(f, sweep):
    """The offline ROC of every finished run's samples pooled (None without a samples table or
    without both kinds); at most OFFLINE_MAX_SAMPLES rows, evenly from each run."""
    runs = [g for g in sweep.run_groups.values() if "samples" in f[g]]
    if not runs:
        return None
    per_run = max(1, OFFLINE_MAX_SAMPLES // len(runs))
    losses, poison = [], []
    for group in runs:
        table = f[group]["samples"]
        step = max(1, len(table) // per_run)
        losses.append(table.fields("loss")[::step])
        poison.append(table.fields("is_poison")[::step])
    if not losses:
        return None
    return roc_curves.offline(np.concatenate(losses), np.concatenate(poison))


def _exact(value):
    """A swept value as --set takes it: the whole YAML of a list, not its legend form."""
    return f"{value:g}" if isinstance(value, float) else str(value)


def run_scenarios_html(sweep):
    """A collapsible table: each run's scenario as the base file plus its overrides."""
    try:
        common = json.loads(str(sweep.metadata.get("common_sets", "null")))
    except json.JSONDecodeError:
        common = None
    base = sweep.metadata.get("scenario_file", "the base scenario")
    head = (f"Each run ran <code>{html.escape(str(base))}</code> (shown below) with "
            + ("the --set values " + ", ".join(f"<code>{html.escape(s)}</code>" for s in common)
               + " and then its own swept values:" if common else
               "no --set values and then its own swept values:" if common is not None else
               "its swept values (this sweep file predates common_sets: any --set values "
               "common to the runs are not recorded):"))
    rows = []
    for _, run in sweep.summary.iterrows():
        sets = [*(common or []), *[f"{p}={_exact(run[p])}" for p in sweep.parameters]]
        rows.append(f"<tr><td class=\"num\">{int(run['run'])}</td><td><code>"
                    + html.escape(" ".join(f"--set {s}" for s in sets)) + "</code></td></tr>")
    return ("<details><summary>The scenario of each run</summary>"
            f"<p>{head}</p><div class=\"table-wrap\"><table class=\"run-scenarios\"><tr><th>"
            "run</th><th>overrides of the base scenario, in order</th></tr>" + "".join(rows)
            + "</table></div></details>")
