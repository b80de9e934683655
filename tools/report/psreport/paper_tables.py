"""The README's paper tables (tools/paper.sh) as Markdown, from one data set's directory:
`bench.json` (`poisonsim bench attacks --json`) and `runs/<attacker>-<defense>.json`
(`poisonsim inspect --json` of each continual-deployment run)."""
import os

from psreport import attack_figures, inputs
from psreport.errors import ReportError

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
            "before and after one retraining of the target on the poison alone (mean ± std over "
            f"{bench.get('retrain_seeds', '?')} shuffles).")
    note = attack_figures.guard_note(rows)
    return text + "\n\n" + markdown(columns, table) + ("\n\n" + note if note else "")


def read_run(path):
    if not os.path.exists(path):
        raise ReportError(path, "no such file (tools/paper.sh writes it with poisonsim "
                                "inspect --json)")
    run = inputs.load_json(path)
    try:
        return {"guard": run["guard"], "retrains": run["retrains"],
                "evaluations": run["evaluations"], "duration": run["run"]["duration"]}
    except (KeyError, TypeError) as e:
        raise ReportError(path, f"not `poisonsim inspect --json` output (no {e})") from None


def _rate(guard, kind):
    """Share of `kind` ('poison' or 'clean') samples rejected, '-' when there were none."""
    total = guard.get(kind) or 0
    return attack_figures.percent(guard.get(f"{kind}_rejected", 0) / total if total else None)


def deployment_table(directory):
    """Continual deployment: clean test accuracy over the run and the guard's rates, for each
    attacker undefended and defended."""
    columns = ["attacker", "defense", "accuracy mean", "final", "lowest", "poison rejected",
               "clean rejected", "retrains deployed / refused"]
    runs = {(attacker, defense): read_run(os.path.join(directory, "runs",
                                                       f"{attacker}-{defense}.json"))
            for attacker, _ in ATTACKERS for defense, _ in DEFENSES}
    rows = []
    for attacker, attacker_text in ATTACKERS:
        for defense, defense_text in DEFENSES:
            run = runs[attacker, defense]
            evaluations, retrains = run["evaluations"], run["retrains"]
            rows.append([attacker_text, defense_text,
                         f"{evaluations['mean_accuracy']:.4f}",
                         f"{evaluations['last']['accuracy']:.4f}",
                         f"{evaluations['min']['accuracy']:.4f}",
                         _rate(run["guard"], "poison"), _rate(run["guard"], "clean"),
                         f"{retrains['deployed']} / {retrains['refused']}"])
    baseline = runs["none", "undefended"]
    before = baseline["evaluations"]["first"]["accuracy"]
    duration = baseline["duration"]
    text = (f"Continual deployment (`poisonsim run scenarios/paper/...`, {duration:g} simulated "
            f"s, retrained periodically on what the guard accepted): clean test accuracy over "
            f"the run's evaluations (pretrained: {before:.4f}); rejection rates by ground truth.")
    return text + "\n\n" + markdown(columns, rows)


def tables(directory, title):
    bench = os.path.join(directory, "bench.json")
    inputs.check_file(bench)
    parts = [f"### {title}", methods_table(bench), deployment_table(directory)]
    return "\n\n".join(parts) + "\n"

