"""ROC arithmetic: the area under a closed-loop ROC (one point per threshold run) and the
offline ROC of the recorded per-sample losses (the loss as a score, every threshold at once),
and the zoomed inset of a closed-loop ROC whose points crowd one part of the square."""
import numpy as np

ZOOM_SPAN = 0.25  # points that all fit in a square this wide (in rate) get a zoomed inset


def auc(fpr, tpr):
    """Trapezoid area under the points sorted by FPR, closed with (0, 0) and (1, 1) as a guard
    that rejects nothing and one that rejects everything; NaN without points."""
    points = sorted((float(x), float(y)) for x, y in zip(fpr, tpr)
                    if np.isfinite(x) and np.isfinite(y))
    if not points:
        return float("nan")
    xs, ys = zip(*([(0.0, 0.0)] + points + [(1.0, 1.0)]))
    return float(np.trapz(ys, xs))


def offline(losses, is_poison):
    """(fpr, tpr) of "reject when loss > t" over every t, from fixed losses: what the guard
    would do if the losses did not depend on what it let into training. None without both
    kinds of samples."""
    losses = np.asarray(losses, dtype=float)
    is_poison = np.asarray(is_poison).astype(bool)
    keep = np.isfinite(losses)
    losses, is_poison = losses[keep], is_poison[keep]
    poison, clean = int(is_poison.sum()), int((~is_poison).sum())
    if not poison or not clean:
        return None
    order = np.argsort(-losses, kind="stable")
    flags = is_poison[order]
    tpr = np.concatenate([[0.0], np.cumsum(flags) / poison])
    fpr = np.concatenate([[0.0], np.cumsum(~flags) / clean])
    return fpr, tpr


def zoom_inset(ax, series, span=ZOOM_SPAN):
    """When every point of `series` ((fpr, tpr, colour) per curve) lies in a square `span` wide,
    an inset of the axes draws them enlarged, on the side away from them and above the legend,
    with the zoomed region outlined; returns it (None when the points spread wider)."""
    xs = np.concatenate([np.asarray(x, float) for x, _, _ in series]) if series else []
    ys = np.concatenate([np.asarray(y, float) for _, y, _ in series]) if series else []
    if not len(xs) or np.ptp(xs) > span or np.ptp(ys) > span:
        return None
    pad = max(np.ptp(xs), np.ptp(ys), 0.01) * 0.2
    inset = ax.inset_axes([0.52 if xs.mean() < 0.5 else 0.06, 0.42, 0.42, 0.38])
    for x, y, color in series:
        inset.plot(x, y, "o-", color=color, ms=3.5, lw=1)
    inset.set_xlim(max(xs.min() - pad, -0.01), min(xs.max() + pad, 1.01))
    inset.set_ylim(max(ys.min() - pad, -0.01), min(ys.max() + pad, 1.01))
    inset.tick_params(labelsize=9)
    inset.set_title("zoom on the points", fontsize=9.5)
    ax.indicate_inset_zoom(inset, edgecolor="0.4")
    return inset
