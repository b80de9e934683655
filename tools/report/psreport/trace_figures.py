"""Figures and headline numbers of one run's trace."""
import numpy as np

from psreport import plotting
from psreport.plotting import plt

CLEAN_COLOR, POISON_COLOR = "tab:blue", "tab:red"
GATE_STYLES = {  # retrain decision -> (color, line style, legend label)
    "allow": ("tab:green", "-", "retrain, deployed"),
    "refuse": ("tab:red", "--", "retrain, refused by the gate"),
    "empty": ("0.6", ":", "retrain, nothing to train on"),
}
MAX_SCATTER_POINTS = 20000  # per kind, so large traces stay quick and readable


def accuracy_timeline(trace, windows, directory, name):
    fig, ax = plt.subplots(figsize=(9, 4.2))
    evaluations = trace.evaluations
    if len(evaluations):
        ax.plot(evaluations["time"], evaluations["accuracy"], "o-", color="black", ms=3.5,
                lw=1.4, label="clean test accuracy", zorder=3)
    for i, window in enumerate(windows):
        ax.axvspan(window.start, window.stop, color=POISON_COLOR, alpha=0.08,
                   label="attack window (scenario)" if i == 0 else None)
        if window.first_batch is not None:
            ax.axvspan(window.first_batch, window.last_batch, ymin=0.975, ymax=1.0,
                       color=POISON_COLOR, alpha=0.7,
                       label="poison batches arriving (first to last)" if i == 0 else None)
    seen = set()
    for _, row in trace.retrains.iterrows():
        gate = row["gate"] if row["gate"] in GATE_STYLES else "allow"
        if gate == "allow" and not row["deployed"]:
            gate = "refuse"
        color, style, label = GATE_STYLES[gate]
        ax.axvline(row["time"], color=color, ls=style, lw=1, alpha=0.8,
                   label=None if gate in seen else label)
        seen.add(gate)
    ax.set_xlabel("simulated time (s)")
    ax.set_ylabel("clean test accuracy (fraction correct)")
    ax.set_xlim(0, max(trace.duration, 1e-9))
    if len(evaluations):
        low = float(evaluations["accuracy"].min())
        ax.set_ylim(max(0.0, low - 0.05), min(1.01, float(evaluations["accuracy"].max()) + 0.03))
    ax.set_title("Clean test accuracy of the deployed model over the run")
    ax.legend(loc="lower left")
    caption = ("Accuracy of the deployed model on the clean test set at every evaluation. "
               "Shaded: each attacker's window from the scenario; the bar at the top spans its "
               "first to last poison batch. Vertical lines: retrains, by the gate's decision.")
    return plotting.save(fig, name, "Accuracy over time", caption, directory)


def _rate(part, whole):
    return part / whole if whole else float("nan")


def _subsample(frame, limit):
    return frame if len(frame) <= limit else frame.sample(limit, random_state=0).sort_index()


def loss_distributions(trace, guard, directory, name):
    """The paper's loss-difference figure: per-sample loss of clean vs poisoned inputs."""
    samples = trace.samples
    clean, poison = samples[samples["is_poison"] == 0], samples[samples["is_poison"] == 1]
    losses = samples["loss"].to_numpy(dtype=float)
    losses = losses[np.isfinite(losses)]
    low = max(float(losses[losses > 0].min()) if (losses > 0).any() else 1e-4, 1e-4)
    high = max(float(losses.max()) if len(losses) else 1.0, low * 10)
    bins = np.geomspace(low, high * 1.01, 60)

    fig, (hist, scatter) = plt.subplots(1, 2, figsize=(11, 4.2),
                                        gridspec_kw={"width_ratios": [1.2, 1]})
    for frame, color, kind in ((clean, CLEAN_COLOR, "clean"), (poison, POISON_COLOR, "poisoned")):
        if not len(frame):
            continue
        values = np.clip(frame["loss"].to_numpy(dtype=float), low, None)
        rejected = _rate(int(frame["rejected"].sum()), len(frame))
        label = f"{kind} (n = {len(frame):,}, {100 * rejected:.1f}% rejected)"
        hist.hist(values, bins=bins, weights=np.full(len(values), 1 / len(values)),
                  histtype="stepfilled", alpha=0.35, color=color, label=label)
        hist.hist(values, bins=bins, weights=np.full(len(values), 1 / len(values)),
                  histtype="step", color=color, lw=1.2)
        shown = _subsample(frame, MAX_SCATTER_POINTS)
        scatter.scatter(shown["time"], np.clip(shown["loss"], low, None), s=4, alpha=0.35,
                        color=color, label=kind, rasterized=True)
    _draw_threshold(hist, scatter, samples, guard)
    hist.set_xscale("log")
    hist.set_xlabel("per-sample cross-entropy loss on the deployed model (nats, log scale)")
    hist.set_ylabel("fraction of that kind's samples per bin")
    hist.set_title("Loss of arriving samples: clean vs poisoned")
    hist.legend(loc="upper left")
    scatter.set_yscale("log")
    scatter.set_xlabel("simulated arrival time (s)")
    scatter.set_ylabel("per-sample loss (nats, log scale)")
    scatter.set_title("Loss at arrival over time")
    scatter.legend(loc="upper left", markerscale=3)
    caption = (f"Guard: {guard.describe()}{_threshold_note(samples, guard)}. Left: distribution of the loss each arriving sample "
               "had on the model deployed at its arrival (what the guard compares with its "
               "threshold); each kind's histogram sums to 1. Right: the same losses over time"
               + (f" (a random {MAX_SCATTER_POINTS:,} per kind)."
                  if len(samples) > MAX_SCATTER_POINTS else "."))
    return plotting.save(fig, name, "Per-sample loss, clean vs poisoned", caption, directory)


def _draw_threshold(hist, scatter, samples, guard):
    if guard.threshold is not None:
        hist.axvline(guard.threshold, color="black", ls="--", lw=1.3,
                     label=f"guard threshold {guard.threshold:g}")
        scatter.axhline(guard.threshold, color="black", ls="--", lw=1.3,
                        label=f"guard threshold {guard.threshold:g}")
    elif "threshold" in samples.columns and len(samples):
        # An adaptive guard that records the threshold each sample met.
        values = samples["threshold"].to_numpy(dtype=float)
        median = float(np.nanmedian(values))
        hist.axvline(median, color="black", ls="--", lw=1.3,
                     label=f"guard threshold, median {median:.3g}")
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
    rows.append(("retrains", f"{len(retrains)} ({deployed} deployed, {refused} refused)"))
    evaluations = trace.evaluations
    if len(evaluations):
        accuracy = evaluations["accuracy"]
        rows.append(("clean test accuracy",
                     f"{accuracy.iloc[0]:.4f} first, {accuracy.iloc[-1]:.4f} last, "
                     f"{accuracy.min():.4f} lowest"))
    return rows
