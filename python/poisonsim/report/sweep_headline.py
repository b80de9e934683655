"""A sweep section's headline numbers. The best setting is named only from means over seeds,
with the mean's 95% interval (issue 29: one seed's accuracy of a run that never deployed a
retrained model read as the sweep's result); a sweep without seeds gets no best setting."""
import numpy as np

from poisonsim.report.setting_labels import setting_text as _fmt
from poisonsim.report.sweep_figures import _seeds, cell_parameters, cells, ok_runs, seeded

BEST = "best setting by mean accuracy at the end"
ONLY = "mean accuracy at the end"  # a sweep over seeds alone: one setting, nothing to rank


def best_setting(sweep):
    """(name, text) of the cell with the highest mean accuracy_last over its seeds, among the
    cells with at least two finished runs (one run is no mean): the mean, its 95% interval and
    n, how many other cells' intervals reach its own (not shown to differ), and whether its runs
    deployed any retrained model. None unless seeded or without such a cell."""
    frame = cells(sweep)
    if frame is None or "accuracy_last" not in frame:
        return None
    single = int((frame["accuracy_last_n"] == 1).sum())
    frame = frame[frame["accuracy_last_n"] >= 2]
    if not len(frame):
        return None
    best = frame.loc[frame["accuracy_last"].idxmax()]
    setting = ", ".join(f"{p} = {_fmt(best[p])}" for p in cell_parameters(sweep))
    low, high = best["accuracy_last_low"], best["accuracy_last_high"]
    text = (f"{best['accuracy_last']:.4f}, 95% CI [{low:.4f}, {high:.4f}] over "
            f"{int(best['accuracy_last_n'])} seeds" + (f", at {setting}" if setting else ""))
    others = frame.drop(index=best.name)
    overlapping = int((others["accuracy_last_high"] >= low).sum())
    if overlapping:
        text += (f"; the intervals of {overlapping} of the other {len(others)} settings reach "
                 "it: not shown to be better than those")
    if single:
        text += f"; {single} setting(s) with one finished run left out"
    if "deployed" in frame and best["deployed"] == 0:
        text += ("; no run of it deployed a retrained model: this is the pretrained model's "
                 "accuracy")
    return (BEST if setting else ONLY), text


def headline(sweep):
    summary, ok = sweep.summary, ok_runs(sweep)
    rows = [("runs", f"{len(summary)} ({len(ok)} ok, {len(summary) - len(ok)} failed)"
                     + ("" if sweep.complete else "; the sweep is INCOMPLETE")),
            ("swept parameters", ", ".join(sweep.parameters) or "none")]
    if seeded(sweep):
        seeds = _seeds(sweep)
        rows.append(("seeds per setting",
                     f"{len(seeds)} ({', '.join(_fmt(s) for s in seeds[:10])}"
                     f"{', ...' if len(seeds) > 10 else ''}); figures and the means table show "
                     "means with 95% confidence intervals (Student t on the logit scale for "
                     "rates and accuracies, never below 0 for counts)"))
    best = best_setting(sweep)
    if best:
        rows.append(best)
    elif len(ok):
        rows.append((BEST, "none named: a best setting needs means over seeds (sweep with "
                           "--seeds N); one run per setting is one draw of its noise"))
    return rows
