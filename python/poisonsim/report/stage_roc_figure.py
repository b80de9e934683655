"""The offline ROC of each scoring defense stage of one run (the trace's `scores` table): every
threshold at once over the scores the stage recorded, as the loss figure is for the loss."""
from poisonsim.report import plotting, roc_curves, scenario
from poisonsim.report.plotting import plt


def stage_curves(trace, parsed):
    """[(stage, type, fpr, tpr, poison, clean)] for each stage with both kinds of scores;
    `parsed`: the run's scenario (scenario.parse), which names the stages."""
    scores = trace.scores
    if scores is None or not len(scores):
        return []
    types = scenario.stage_types(parsed)
    curves = []
    for stage, rows in scores.groupby("stage"):
        curve = roc_curves.offline(rows["score"], rows["is_poison"])
        if curve is None:
            continue
        poison = int(rows["is_poison"].astype(bool).sum())
        curves.append((int(stage), types.get(int(stage), "?"), curve[0], curve[1], poison,
                       len(rows) - poison))
    return curves


def stage_rocs(trace, parsed, directory, name):
    """The figure, or None when no stage recorded scores of both poison and clean samples."""
    curves = stage_curves(trace, parsed)
    if not curves:
        return None
    fig, ax = plt.subplots(figsize=(6.8, 5.6))
    ax.plot([0, 1], [0, 1], color="0.6", ls=":", lw=1, label="chance (TPR = FPR, AUC 0.5)")
    for i, (stage, kind, fpr, tpr, poison, clean) in enumerate(curves):
        ax.plot(fpr, tpr, color=f"C{i % 10}", lw=1.4,
                label=f"stage {stage} ({kind}): AUC {roc_curves.auc(fpr, tpr):.3f}, "
                      f"{poison:,} poison / {clean:,} clean")
    ax.set_xlim(-0.01, 1.01)
    ax.set_ylim(-0.01, 1.01)
    ax.set_xlabel("false-positive rate (clean samples the stage would reject)")
    ax.set_ylabel("true-positive rate (poison the stage would reject)")
    ax.set_title("Offline ROC of each scoring defense stage")
    plotting.legend_outside(ax)
    caption = ("Each curve rejects a sample when its stage's score exceeds a threshold, every "
               "threshold at once, over the scores that stage recorded (the trace's scores "
               "table). Offline: a guard stage saw only what the stages before it accepted and "
               "a sanitizer only the window the guard let through, and another threshold would "
               "have changed what later stages and retrains saw. `poisonsim roc TRACE --stage N` "
               "prints the same curve as a table.")
    return plotting.save(fig, name, "Offline ROC of the defense stages' scores", caption,
                         directory)
