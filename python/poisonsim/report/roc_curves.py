"""ROC arithmetic: the area under a closed-loop ROC (one point per threshold run) and the
offline ROC of the recorded per-sample losses (the loss as a score, every threshold at once)."""
import numpy as np


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
