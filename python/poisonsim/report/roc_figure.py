"""The closed-loop ROC of a sweep over a guard's threshold: one point per threshold setting
(means over seeds with 95% intervals when seeded), each labelled with its threshold and unit
where the label hides no other, a zoomed inset (its points labelled too) when they crowd one
part of the square, and the offline ROC of the recorded losses overlaid when given."""
from poisonsim.report import plotting, roc_curves, text_fit
from poisonsim.report.plotting import plt
from poisonsim.report.setting_labels import setting_text, unit, with_unit
from poisonsim.report.sweep_figures import (SEED, _groups, _interval_note, _norm,
                                            _value_ticks, cell_parameters, cells, errors,
                                            ok_runs, seeded)

ANNOTATE_MAX_POINTS = 40  # threshold labels next to ROC points up to this many
ROC_MARKERS = ("o", "s", "^", "D", "v", "P", "X", "*")  # one per threshold, when this few
LABEL_FONTSIZE = 9.5  # the thresholds written next to their points, in the axes and the inset
LEGEND_TWO_COLUMNS_CHARS = 48  # the longest legend entry that still allows two columns


def threshold_text(value, units):
    """A point's label: its threshold with the unit, e.g. "2 nats", "1 nat"."""
    if units == "nats" and float(value) == 1:
        units = "nat"
    return setting_text(value) + (f" {units}" if units else "")


def _label_points(ax, series, units):
    """Labels each point of `series` ((fpr, tpr, thresholds) per curve) with its threshold,
    leaving out a label that would hide another; returns the texts placed."""
    items = [(x, y, threshold_text(t, units)) for fpr, tpr, thresholds in series
             for x, y, t in zip(fpr, tpr, thresholds)]
    return text_fit.place_labels(ax, items, LABEL_FONTSIZE, color="0.15")


def roc(sweep, parameter, directory, name, offline=None):
    """The closed-loop ROC (one point per threshold setting), with `offline` (fpr, tpr), the
    ROC of the runs' recorded losses as a score, overlaid when given."""
    means = seeded(sweep) and parameter != SEED
    frame = cells(sweep) if means else ok_runs(sweep)
    frame = frame.dropna(subset=["true_positive_rate", "false_positive_rate"])
    if not len(frame):
        return None
    others = [p for p in cell_parameters(sweep) if p != parameter]
    norm = _norm(frame[parameter])
    values = sorted(frame[parameter].unique())
    markers = (dict(zip(values, ROC_MARKERS)) if len(values) <= len(ROC_MARKERS) else None)
    units = unit(parameter, sweep.scenario_text)
    fig, ax = plt.subplots(figsize=(6.8, 5.6))
    ax.plot([0, 1], [0, 1], color="0.6", ls=":", lw=1, label="chance (TPR = FPR, AUC 0.5)")
    if offline is not None:
        ax.plot(offline[0], offline[1], color="0.35", lw=1.2, ls="--",
                label=f"offline: recorded losses as a score (AUC "
                      f"{roc_curves.auc(*offline):.3f})")
    series = []  # (fpr, tpr, colour) per curve, for a zoomed inset when they crowd
    labels = []  # (fpr, tpr, thresholds) per curve, for the threshold labels
    for i, (label, rows) in enumerate(_groups(frame, others)):
        rows = rows.sort_values(parameter)
        fpr, tpr = rows["false_positive_rate"], rows["true_positive_rate"]
        series.append((fpr, tpr, f"C{i % 10}"))
        labels.append((list(fpr), list(tpr), list(rows[parameter])))
        order = f"closed loop: {'means' if means else 'runs'}, in threshold order"
        area = roc_curves.auc(fpr, tpr)
        ax.plot(fpr, tpr, "-", lw=1.2, color=f"C{i % 10}",
                label=f"{label or order} (AUC {area:.3f}, {len(rows)} points)")
        if means:
            bars = ax.errorbar(fpr, tpr, xerr=errors(rows, "false_positive_rate"),
                               yerr=errors(rows, "true_positive_rate"), fmt="none",
                               ecolor=f"C{i % 10}", elinewidth=0.9, capsize=2, alpha=0.7)
            plotting.ci_bars(bars, f"roc-{i}")
        if markers is None:
            points = ax.scatter(fpr, tpr, c=rows[parameter], cmap="viridis", norm=norm, s=36,
                                edgecolors="black", linewidths=0.5, zorder=3)
        else:  # few thresholds: a marker shape each, the colour stays the curve's
            for value, row_group in rows.groupby(parameter):
                ax.scatter(row_group["false_positive_rate"], row_group["true_positive_rate"],
                           marker=markers[value], color=f"C{i % 10}", s=40,
                           edgecolors="black", linewidths=0.5, zorder=3)
    if markers is None:
        _value_ticks(fig.colorbar(points, ax=ax, label=with_unit(parameter, sweep.scenario_text))
                     .ax.yaxis, frame[parameter])
    else:
        for value, marker in markers.items():
            ax.scatter([], [], marker=marker, color="white", edgecolors="black", s=40,
                       label=f"{parameter} = {threshold_text(value, units)}")
    ax.set_xlim(-0.02, 1.02)
    ax.set_ylim(-0.02, 1.02)
    ax.set_xlabel("false positive rate (fraction of clean samples rejected)")
    ax.set_ylabel("true positive rate (fraction of poisoned samples rejected)")
    ax.set_title(f"Guard ROC over {parameter}")
    # Below the axes: the legend never covers a point, a label or the inset. Two columns only
    # for short entries, so that the figure stays within the page's width.
    entries = ax.get_legend_handles_labels()[1]
    two = len(entries) > 6 and max(len(e) for e in entries) <= LEGEND_TWO_COLUMNS_CHARS
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.13), borderaxespad=0,
              ncol=2 if two else 1)
    inset = roc_curves.zoom_inset(ax, series)
    placed = 0
    if len(frame) <= ANNOTATE_MAX_POINTS:
        # With an inset the points are too close to label in the square: the inset has them.
        placed = len(_label_points(inset if inset is not None else ax, labels, units))
    key = "marker shape" if markers else "colour"
    written = (f" Labels: the threshold of each point{f' ({units})' if units else ''}"
               + (", in the inset" if inset is not None else "")
               + ("; a label that would hide another is left out" if placed < len(frame)
                  else "") + ". " if placed else " ")
    caption = ((_interval_note(sweep) + f"Point {key}: {parameter}.") if means else
               f"Each point is one run; its {key} is {parameter}.")
    caption = (caption + written
               + ("One curve per combination of the other swept parameters. " if others else "")
               + "AUC: trapezoid area under the points, closed with (0, 0) and (1, 1) (a "
               "guard that rejects nothing and one that rejects everything); from a few "
               "points it is a coarse summary of the thresholds swept, not a curve's AUC. "
               + ("The inset enlarges the outlined region, where every point lies. "
                  if inset is not None else "")
               + ("Dashed grey: the offline ROC of every finished run's recorded per-sample "
                  "losses pooled (reject when the loss exceeds t, for every t), which ignores "
                  "that in the closed loop the threshold changes what is trained on and so the "
                  "losses. " if offline is not None else "")
               + "Runs with no poisoned or no clean samples have no rate and are left out.")
    return plotting.save(fig, name, "ROC of the guard", caption, directory,
                         compares_settings=means)
