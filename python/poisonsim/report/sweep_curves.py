"""Accuracy over time per setting of a seeded sweep: each cell's mean step curve over its seeds
with a 95% CI band, and the cells that saw no poison drawn as the references."""
import numpy as np

from poisonsim import intervals
from poisonsim.report import plotting, sweep_figures
from poisonsim.report.plotting import plt

MAX_CELLS = plotting.CATEGORICAL_MAX  # more settings than colours: the figure is left out


def held(evaluations, times):
    """A run's accuracy at `times`, each the last evaluation at or before it (the deployed model
    holds between evaluations); NaN before its first."""
    t = evaluations["time"].to_numpy(dtype=float)
    a = evaluations["accuracy"].to_numpy(dtype=float)
    index = np.searchsorted(t, times, side="right") - 1
    return np.where(index >= 0, a[np.clip(index, 0, None)], np.nan)


def mean_curve(runs, times):
    """(mean, CI low, CI high) of the accuracy over runs (a list of evaluations) at `times`: the
    interval of a proportion (poisonsim.intervals, inside [0, 1]); no CI with one run."""
    values = np.array([held(e, times) for e in runs])
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.nanmean(values, axis=0) if len(runs) else np.full(len(times), np.nan)
    low, high = np.full(len(times), np.nan), np.full(len(times), np.nan)
    for k in range(len(times) if len(runs) else 0):
        at = intervals.mean_interval(values[:, k], intervals.PROPORTION)
        low[k], high[k] = at["low"], at["high"]
    return mean, low, high


def cell_curves(sweep, curves, directory, name):
    """None unless seeded with 2..MAX_CELLS settings; `curves` maps run id -> evaluations."""
    frame = sweep_figures.cells(sweep)
    if frame is None or not curves or not 1 < len(frame) <= MAX_CELLS:
        return None
    parameters = sweep_figures.cell_parameters(sweep)
    runs = sweep_figures.ok_runs(sweep)
    times = np.unique(np.concatenate([e["time"].to_numpy(dtype=float)
                                      for e in curves.values() if len(e)]))
    clean = (frame["poison_samples"] == 0) if "poison_samples" in frame else \
        np.zeros(len(frame), bool)
    fig, ax = plt.subplots(figsize=(9, 4.8))
    spans, colour = [], 0
    for k, (_, cell) in enumerate(frame.iterrows()):
        members = runs
        for p in parameters:
            members = members[members[p] == cell[p]]
        evaluations = [curves[int(r)] for r in members["run"] if int(r) in curves]
        if not evaluations:
            continue
        mean, low, high = mean_curve(evaluations, times)
        setting = ", ".join(f"{p} = {sweep_figures._fmt(cell[p])}" for p in parameters)
        if bool(np.asarray(clean)[k]):
            style = {"color": "black", "ls": "--", "label": f"reference (no poison): {setting}"}
        else:
            style = {"color": f"C{colour % 10}", "label": setting}
            colour += 1
        ax.step(times, mean, where="post", lw=1.5, **style)
        plotting.ci_band(ax, times, low, high, style["color"], step="post")
        spans += list(low) + list(high)
    ax.set_ylim(*sweep_figures.honest_limits(spans))
    ax.set_xlabel("simulated time (s)")
    ax.set_ylabel("clean test accuracy (fraction correct)")
    ax.set_title("Clean test accuracy over time per setting, mean over seeds")
    plotting.legend_outside(ax, title="band: 95% CI of the mean")
    caption = ("Each setting's clean test accuracy over simulated time, the mean over its seeds "
               "as steps (each run holds its last evaluation), with the 95% confidence interval "
               "of the mean as a band (Student t, n - 1 degrees of freedom, on the logit scale "
               "so that it stays inside [0, 1]; none where n = 1)"
               + ("; dashed black: settings whose runs saw no poison, the references" if
                  np.asarray(clean).any() else "")
               + f". The y axis spans at least {sweep_figures.MIN_ACCURACY_SPAN:g}.")
    return plotting.save(fig, name, "Accuracy over time per setting", caption, directory,
                         compares_settings=True)
