"""Figures and headline numbers of one run's trace."""
import numpy as np

from poisonsim.report import plotting
from poisonsim.report.plotting import plt

CLEAN_COLOR, POISON_COLOR = "tab:blue", "tab:red"
GATE_STYLES = {  # retrain decision -> (color, line style, legend label)
    "allow": ("tab:green", "-", "retrain, deployed"),
    "refuse": ("tab:red", "--", "retrain, refused by the gate"),
    "empty": ("0.6", ":", "retrain, nothing to train on"),
}
MAX_SCATTER_POINTS = 20000  # per kind, so large traces stay quick and readable


def step_accuracy(ax, evaluations, duration, **style):
    """Accuracy as a step function: the deployed model changes only at deploys, so between two
    evaluations the accuracy holds; the last value is held to the run's end."""
    times = list(evaluations["time"])
    values = list(evaluations["accuracy"])
    if times and duration > times[-1]:
        times.append(duration)
        values.append(values[-1])
    return ax.step(times, values, where="post", **style)


def accuracy_timeline(trace, windows, directory, name, baselines=()):
    """Top: accuracy over time as steps, with reference runs (label, Trace) on the same axes.
    Bottom: poison accepted into the buffer of each retrain window."""
    fig, (ax, poison_ax) = plt.subplots(2, 1, figsize=(9, 5.8), sharex=True,
                                        gridspec_kw={"height_ratios": [2.6, 1]})
    evaluations = trace.evaluations
    if len(evaluations):
        step_accuracy(ax, evaluations, trace.duration, color="black", lw=1.6,
                      label="clean test accuracy (this run)", zorder=4)
        ax.plot(evaluations["time"], evaluations["accuracy"], "o", color="black", ms=3, zorder=4)
    lows, highs = list(evaluations["accuracy"]), list(evaluations["accuracy"])
    for i, (label, reference) in enumerate(baselines):
        if len(reference.evaluations):
            step_accuracy(ax, reference.evaluations, reference.duration, color=f"C{i % 10}",
                          lw=1.3, ls="--", alpha=0.9, label=f"reference: {label}", zorder=3)
            lows += list(reference.evaluations["accuracy"])
            highs += list(reference.evaluations["accuracy"])
    for i, window in enumerate(windows):
        for axis in (ax, poison_ax):
            axis.axvspan(window.start, window.stop, color=POISON_COLOR, alpha=0.08,
                         label="attack window (scenario)" if i == 0 and axis is ax else None)
        if window.first_batch is not None:
            ax.axvspan(window.first_batch, window.last_batch, ymin=0.975, ymax=1.0,
                       color=POISON_COLOR, alpha=0.7,
                       label="poison batches arriving (first to last)" if i == 0 else None)
    seen = set()
    for _, row in trace.retrains.iterrows():
        gate = _decision(row)
        color, style, label = GATE_STYLES[gate]
        ax.axvline(row["time"], color=color, ls=style, lw=1, alpha=0.7,
                   label=None if gate in seen else label)
        seen.add(gate)
    refused = refused_candidates(trace.retrains)
    if len(refused):  # what deploying each refused candidate would have given
        ax.plot(refused["time"], refused["test_accuracy_after"], "X", ls="none",
                color=GATE_STYLES["refuse"][0], mec="black", mew=0.6, ms=7, zorder=5,
                label="refused candidate's test accuracy\n(not deployed)")
        lows += list(refused["test_accuracy_after"])
        highs += list(refused["test_accuracy_after"])
    _poison_per_window(poison_ax, trace.retrains)
    poison_ax.set_xlabel("simulated time (s)")
    ax.set_ylabel("clean test accuracy\n(fraction correct)")
    ax.set_xlim(0, max(trace.duration, 1e-9))
    if lows:
        ax.set_ylim(max(0.0, min(lows) - 0.05), min(1.01, max(highs) + 0.03))
    ax.set_title("Clean test accuracy of the deployed model over the run")
    # Outside the axes: a legend never hides a step or a retrain line.
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), borderaxespad=0)
    caption = ("Top: accuracy of the deployed model on the clean test set, drawn as steps (the "
               "model changes only when a retrain is deployed; dots: evaluations)"
               + (", with the reference runs dashed" if baselines else "")
               + ". Shaded: each attacker's window from the scenario; the bar at the top spans "
               "its first to last poison batch. Vertical lines: retrains, by the gate's "
               "decision"
               + ("; crosses: the clean test accuracy of each candidate the gate refused, "
                  "which deploying it would have given" if len(refused) else "")
               + ". Bottom: poison samples the guard accepted into the buffer of each "
               "retrain window (the bar spans the window, coloured by that retrain's decision).")
    return plotting.save(fig, name, "Accuracy over time", caption, directory)


def refused_candidates(retrains):
    """The retrains whose candidate the gate refused, with a recorded test accuracy (the
    test_accuracy_after column is in traces from trace_format 2)."""
    if "test_accuracy_after" not in retrains or not len(retrains):
        return retrains.iloc[0:0]
    refused = retrains[[_decision(row) == "refuse" for _, row in retrains.iterrows()]]
    return refused[np.isfinite(refused["test_accuracy_after"].astype(float))]


def _decision(row):
    gate = row["gate"] if row["gate"] in GATE_STYLES else "allow"
    return "refuse" if gate == "allow" and not row["deployed"] else gate


def _poison_per_window(ax, retrains):
    starts = 0.0
    for _, row in retrains.iterrows():
        color = GATE_STYLES[_decision(row)][0]
        width = max(float(row["time"]) - starts, 1e-9)
        ax.bar(starts, int(row["poison_in_buffer"]), width=width, align="edge", color=color,
               alpha=0.55, edgecolor=color, lw=0.8)
        starts = float(row["time"])
    ax.set_ylabel("poison accepted\nper retrain window")
    ax.yaxis.get_major_locator().set_params(integer=True)
    ax.set_ylim(bottom=0)


def _rate(part, whole):
    return part / whole if whole else float("nan")


def _subsample(frame, limit):
    return frame if len(frame) <= limit else frame.sample(limit, random_state=0).sort_index()


LOSS_FLOOR = 1e-4  # the histogram's axis starts at the smallest loss above this


def loss_floor(losses):
    """The histogram's lowest bin edge: the smallest loss of at least LOSS_FLOOR."""
    above = losses[losses >= LOSS_FLOOR]
    return float(above.min()) if len(above) else LOSS_FLOOR


def underflow_counts(values, floor):
    """Losses below the floor (zero included) are counted apart, not in the first bin."""
    return int((values < floor).sum())


def loss_distributions(trace, guard, directory, name):
    """The paper's loss-difference figure: per-sample loss of clean vs poisoned inputs."""
    samples = trace.samples
    clean, poison = samples[samples["is_poison"] == 0], samples[samples["is_poison"] == 1]
    losses = samples["loss"].to_numpy(dtype=float)
    losses = losses[np.isfinite(losses)]
    low = loss_floor(losses)
    high = max(float(losses.max()) if len(losses) else 1.0, low * 10)
    bins = np.geomspace(low, high * 1.01, 60)
    # The underflow bin sits left of the floor, a gap apart, as wide as a tenth of a decade.
    under_edges = (low / 10 ** 0.35, low / 10 ** 0.15)

    fig, (hist, scatter) = plt.subplots(1, 2, figsize=(11, 4.6),
                                        gridspec_kw={"width_ratios": [1.2, 1]})
    rates = []
    any_under = False
    for frame, color, kind in ((clean, CLEAN_COLOR, "clean"), (poison, POISON_COLOR, "poisoned")):
        if not len(frame):
            continue
        values = frame["loss"].to_numpy(dtype=float)
        values = values[np.isfinite(values)]
        rejected = _rate(int(frame["rejected"].sum()), len(frame))
        label = f"{kind} (n = {len(frame):,}, {100 * rejected:.1f}% rejected)"
        weight = 1 / max(len(values), 1)
        shown_values = values[values >= low]
        for style in ({"histtype": "stepfilled", "alpha": 0.35, "label": label},
                      {"histtype": "step", "lw": 1.2}):
            hist.hist(shown_values, bins=bins, weights=np.full(len(shown_values), weight),
                      color=color, **style)
        under = underflow_counts(values, low)
        if under:
            any_under = True
            # Named in the legend (below the axes), where no note can cover a bar or a tick.
            hist.bar(under_edges[0], under * weight, width=under_edges[1] - under_edges[0],
                     align="edge", color=color, alpha=0.35, edgecolor=color, hatch="//",
                     label=f"{kind}: {under:,} below {low:.2g} (underflow)")
        shown = _subsample(frame, MAX_SCATTER_POINTS)
        rates.append((kind, len(shown), len(frame)))
        scatter_label = kind if len(shown) == len(frame) else \
            f"{kind}: {len(shown):,} of {len(frame):,} shown ({100 * len(shown) / len(frame):.1f}%)"
        # Losses below the floor would pile into a band on it: drawn there as triangles,
        # counted in the legend, so the band reads as what it is.
        below = shown["loss"].to_numpy(dtype=float) < low
        scatter.scatter(shown["time"][~below], shown["loss"][~below], s=4, alpha=0.35,
                        color=color, label=scatter_label, rasterized=True)
        if below.any():
            scatter.scatter(shown["time"][below], np.full(int(below.sum()), low), marker="v",
                            s=12, alpha=0.6, color=color, edgecolors="none", rasterized=True,
                            label=f"{kind}: {int(below.sum()):,} below {low:.2g}, on the floor")
    if any_under:
        hist.axvline(low / 10 ** 0.075, color="0.3", lw=0.8, ls=(0, (2, 2)))
    _draw_threshold(hist, scatter, samples, guard)
    hist.set_xscale("log")
    hist.set_xlabel("per-sample cross-entropy loss on the deployed model (nats, log scale)")
    hist.set_ylabel("fraction of that kind's samples per bin")
    hist.set_title("Loss of arriving samples: clean vs poisoned")
    scatter.set_yscale("log")
    scatter.set_xlabel("simulated arrival time (s)")
    scatter.set_ylabel("per-sample loss (nats, log scale)")
    scatter.set_title("Loss at arrival over time")
    # Below the axes, so no legend ever covers the threshold line or the data.
    for axis in (hist, scatter):
        axis.legend(loc="upper center", bbox_to_anchor=(0.5, -0.2), ncol=1, markerscale=3)
    sampled = [f"{shown:,} of {total:,} {kind} ({100 * shown / total:.1f}%)"
               for kind, shown, total in rates if shown < total]
    caption = (f"Guard: {guard.describe()}{_threshold_note(samples, guard)}. Left: distribution "
               "of the loss each arriving sample had on the model deployed at its arrival (what "
               "the guard compares with its threshold); each kind's histogram sums to 1"
               + (f"; losses below {low:.2g} (the axis floor) are counted in the hatched "
                  "underflow bin at the left, left of the dotted line, their number in the "
                  "legend" if any_under else "")
               + ". Right: the same losses over time"
               + (f", a random subsample: {', '.join(sampled)}." if sampled else
                  ", every sample.")
               + " Losses below the floor are triangles on it, counted in the legend.")
    return plotting.save(fig, name, "Per-sample loss, clean vs poisoned", caption, directory)


def _draw_threshold(hist, scatter, samples, guard):
    if guard.threshold is not None:
        hist.axvline(guard.threshold, color="black", ls="--", lw=1.3,
                     label=f"guard threshold {guard.threshold:g} nats")
        scatter.axhline(guard.threshold, color="black", ls="--", lw=1.3,
                        label=f"guard threshold {guard.threshold:g} nats")
    elif "threshold" in samples.columns and len(samples):
        # An adaptive guard that records the threshold each sample met.
        values = samples["threshold"].to_numpy(dtype=float)
        median = float(np.nanmedian(values))
        hist.axvline(median, color="black", ls="--", lw=1.3,
                     label=f"guard threshold, median {median:.3g} nats")
        ordered = samples.sort_values("time")
        scatter.plot(ordered["time"], ordered["threshold"], color="black", lw=1.1,
                     label="guard threshold")


def _threshold_note(samples, guard):
    if guard.threshold is None and "threshold" not in samples.columns and guard.type != "none":
        return " (its threshold varies per sample and is not in this trace: none is drawn)"
    return ""


def headline(trace, guard):
    """(name, value) pairs for the page's table of headline numbers."""
    rows = [("run", f"seed {int(trace.attrs.get('seed', 0))}, {trace.duration:g} simulated s, "
                    + ("complete" if int(trace.attrs.get("complete", 0)) else
                       "INCOMPLETE (still running, or the run died)")),
            ("guard", guard.describe())]
    samples = trace.samples
    if samples is not None:
        for kind, flag, rate_name in (("poisoned", 1, "true positive rate"),
                                      ("clean", 0, "false positive rate")):
            part = samples[samples["is_poison"] == flag]
            rejected = int(part["rejected"].sum())
            rate = _rate(rejected, len(part))
            rows.append((f"{kind} samples rejected ({rate_name})",
                         f"{rejected:,} of {len(part):,}"
                         + (f" ({100 * rate:.1f}%)" if len(part) else "")))
    else:
        batches = trace.events[trace.events["batch_id"] >= 0]
        poison = batches[batches["kind"] == "poison-batch"]
        rows.append(("poisoned samples rejected",
                     f"{int(poison['rejected'].sum()):,} of {int(poison['size'].sum()):,} "
                     "(no samples table)"))
    retrains = trace.retrains
    refused = int((retrains["gate"] == "refuse").sum()) if len(retrains) else 0
    deployed = int(retrains["deployed"].sum()) if len(retrains) else 0
    # A refusal of a model trained on no poison is the gate's false alarm, not a defense.
    clean_refusals = (int(((retrains["gate"] == "refuse") & (retrains["poison_in_buffer"] == 0))
                          .sum()) if len(retrains) else 0)
    rows.append(("retrains", f"{len(retrains)} ({deployed} deployed, {refused} refused"
                             + (f", {clean_refusals} of them with no poison in the buffer"
                                if refused else "") + ")"))
    evaluations = trace.evaluations
    if len(evaluations):
        accuracy = evaluations["accuracy"]
        rows.append(("clean test accuracy",
                     f"{accuracy.iloc[0]:.4f} first, {accuracy.iloc[-1]:.4f} last, "
                     f"{accuracy.min():.4f} lowest"))
    return rows
