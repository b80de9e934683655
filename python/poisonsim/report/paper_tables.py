"""The README's paper tables (tools/scripts/paper.sh) as Markdown, from one data set's directory:
`bench.json` (`poisonsim bench attacks --json`) and `runs/<attacker>-<defense>.json`
(`poisonsim inspect --json` of each continual-deployment run)."""
import math
import os

from poisonsim import intervals
from poisonsim.report import attack_figures, inputs
from poisonsim.report.errors import ReportError

ATTACKERS = [("none", "none"), ("direct", "direct gradient"), ("generative", "generative")]
DEFENSES = [("undefended", "none"), ("defended", "loss guard + gate")]


def markdown(columns, rows):
    lines = ["| " + " | ".join(columns) + " |", "|" + " --- |" * len(columns)]
    lines += ["| " + " | ".join(str(cell) for cell in row) + " |" for row in rows]
    return "\n".join(lines)


def methods_table(path):
    """The paper's table: generation rate, its ratio to the direct method, accuracy before and
    after poison-alone retraining, the guard's offline detection."""
    bench = inputs.load_json(path)
    rows = attack_figures.dedupe(inputs.figures_rows(bench, path))
    if not rows:
        raise ReportError(path, "the attack benchmark has no methods")
    columns, table = attack_figures.paper_table(rows)
    text = (f"Attack methods (`poisonsim bench attacks`): n = {bench.get('n', '?')} poisoned "
            "samples per method from the same clean seeds; accuracy is clean test accuracy "
            "before and after one retraining of the target on the poison alone (mean ± half-width "
            f"of the 95% confidence interval over {bench.get('retrain_seeds', '?')} shuffles, "
            "Student t).")
    note = attack_figures.guard_note(rows)
    return text + "\n\n" + markdown(columns, table) + ("\n\n" + note if note else "")


def read_run(path):
    """The one cell of a seeds-only sweep's `poisonsim inspect --mean-over seed --json`: its
    metrics (kind, n, mean, sd, ci95_low, ci95_high per name) and the seeds."""
    if not os.path.exists(path):
        raise ReportError(path, "no such file (tools/scripts/paper.sh writes it with poisonsim "
                                "inspect --mean-over seed --json)")
    means = inputs.load_json(path)
    try:
        cells = means["cells"]
        if len(cells) != 1:
            raise ReportError(path, f"expected the one cell of a seeds-only sweep, found "
                                    f"{len(cells)}")
        return {"metrics": cells[0]["metrics"], "seeds": means["seeds"]}
    except (KeyError, TypeError) as e:
        raise ReportError(path, f"not `poisonsim inspect --mean-over seed --json` output "
                                f"(no {e})") from None


def mean_ci(metrics, name, scale=1.0, digits=4, suffix=""):
    """'mean [low, high]' of one metric's 95% interval (scaled, e.g. 100 for percent), '-'
    without a mean. JSON without `kind` predates bounded intervals: recomputed from mean, sd, n."""
    m = metrics.get(name) or {}
    mean = m.get("mean")
    if mean is None:
        return "-"
    if "kind" in m:
        low, high = m.get("ci95_low"), m.get("ci95_high")
    else:
        sd = m.get("sd")
        low, high = intervals.bounds(mean, float("nan") if sd is None else sd, m.get("n"),
                                     intervals.metric_kind(name))
    text = f"{scale * mean:.{digits}f}{suffix}"
    if low is None or high is None or math.isnan(low):
        return text
    return f"{text} [{scale * low:.{digits}f}{suffix}, {scale * high:.{digits}f}{suffix}]"


def deployment_table(directory):
    """Continual deployment: clean test accuracy over the run and the guard's rates, for each
    attacker undefended and defended, as means over seeds with 95% confidence intervals."""
    columns = ["attacker", "defense", "accuracy mean", "final", "lowest", "poison rejected",
               "clean rejected", "retrains deployed", "refused"]
    runs = {(attacker, defense): read_run(os.path.join(directory, "runs",
                                                       f"{attacker}-{defense}.json"))
            for attacker, _ in ATTACKERS for defense, _ in DEFENSES}
    rows = []
    for attacker, attacker_text in ATTACKERS:
        for defense, defense_text in DEFENSES:
            m = runs[attacker, defense]["metrics"]
            rows.append([attacker_text, defense_text, mean_ci(m, "accuracy_mean"),
                         mean_ci(m, "accuracy_last"), mean_ci(m, "accuracy_min"),
                         mean_ci(m, "true_positive_rate", 100, 1, "%"),
                         mean_ci(m, "false_positive_rate", 100, 1, "%"),
                         mean_ci(m, "deployed", digits=1), mean_ci(m, "refused", digits=1)])
    baseline = runs["none", "undefended"]
    seeds = baseline["seeds"]
    text = (f"Continual deployment (`poisonsim sweep scenarios/paper/... --seeds {len(seeds)}`, "
            f"seeds {', '.join(str(s) for s in seeds)}; retrained periodically on what the guard "
            f"accepted): clean test accuracy over the run's evaluations, rejection rates by "
            f"ground truth; each cell is the mean over the seeds and its 95% confidence "
            f"interval [low, high] (Student t on the logit scale for accuracies and rates, for "
            f"counts never below 0, so that no interval leaves what its quantity can be). "
            f"Pretrained accuracy: "
            f"{mean_ci(baseline['metrics'], 'accuracy_first')}. Call a difference real only "
            f"where the intervals do not overlap.")
    return text + "\n\n" + markdown(columns, rows)


def tables(directory, title, deployments_only=False):
    if deployments_only:
        return f"### {title}\n\n{deployment_table(directory)}\n"
    bench = os.path.join(directory, "bench.json")
    inputs.check_file(bench)
    parts = [f"### {title}", methods_table(bench), deployment_table(directory)]
    return "\n\n".join(parts) + "\n"

