"""Command line of the report: inputs in, DIR/index.html and DIR/*.png out."""
import argparse
import os
import re
import shutil
import sys
import tempfile

import poisonsim.trace
from poisonsim.report import (attack_figures, html_page, inputs, plotting, provenance,
                              roc_figure, scenario, stage_roc_figure, sweep_curves, sweep_figures,
                              sweep_headline, sweep_maps, trace_figures)
from poisonsim.report.errors import ReportError, progress

USAGE = """poisonsim report INPUT... -o DIR [--json FILE ...] [--baseline RUN.h5 ...]
                        [--format png,svg,pdf] [--title TEXT]

INPUT: a run trace (poisonsim run), a sweep file, a poison set (poisonsim attack -o) or the JSON
figures of poisonsim attack --json / poisonsim bench attacks --json. Writes DIR/index.html (one
self-contained page) and every figure as DIR/*.png (or the --format list). See docs/report.md."""


class Report:
    """Collects sections; figure files get a per-input prefix so several inputs never clash."""

    def __init__(self, directory, quiet, baselines=()):
        self.directory = directory
        self.quiet = quiet
        self.baselines = list(baselines)  # (label, Trace) drawn on every run's accuracy figure
        self.sections = []
        self.method_rows = []
        self.method_sources = []
        self.prefixes = set()

    def log(self, message):
        if not self.quiet:
            progress(message)

    def prefix(self, path):
        stem = re.sub(r"[^A-Za-z0-9_-]+", "-", os.path.splitext(os.path.basename(path))[0])
        stem = stem.strip("-") or "input"
        candidate, n = stem, 2
        while candidate in self.prefixes:
            candidate, n = f"{stem}-{n}", n + 1
        self.prefixes.add(candidate)
        return candidate

    # ---- one section per input ----

    def add_trace(self, trace, title, prefix):
        parsed = scenario.parse(trace.scenario_text, trace.where)
        guard = scenario.guard(parsed)
        section = html_page.Section(title, trace.where, trace_figures.headline(trace, guard),
                                    scenario_text=trace.scenario_text,
                                    provenance=provenance.rows(trace.metadata))
        self.log(f"{trace.where}: accuracy over time")
        windows = scenario.attack_windows(parsed, trace.events, trace.duration)
        section.figures.append(trace_figures.accuracy_timeline(
            trace, windows, self.directory, f"{prefix}-accuracy.png", self.baselines))
        if trace.samples is None:
            section.notes.append("No samples table (the scenario set trace.samples: false): "
                                 "no per-sample loss figure.")
        elif not len(trace.samples):
            section.notes.append("The samples table is empty: no per-sample loss figure.")
        else:
            self.log(f"{trace.where}: loss distributions of {len(trace.samples):,} samples")
            section.figures.append(trace_figures.loss_distributions(
                trace, guard, self.directory, f"{prefix}-loss.png"))
            stages = stage_roc_figure.stage_rocs(trace, parsed, self.directory,
                                                 f"{prefix}-stage-roc.png")
            if stages is not None:
                self.log(f"{trace.where}: offline ROC of the defense stages' scores")
                section.figures.append(stages)
        self.sections.append(section)

    def add_sweep(self, f, path, prefix):
        sweep = inputs.read_sweep(f, path)
        section = html_page.Section(f"Sweep: {os.path.basename(path)}", path,
                                    sweep_headline.headline(sweep),
                                    scenario_text=sweep.scenario_text,
                                    provenance=provenance.rows(sweep.metadata)
                                    + provenance.sweep_run_rows(sweep.provenance))
        parameter = sweep_figures.threshold_parameter(sweep)
        figures = []
        if parameter:
            self.log(f"{path}: ROC and accuracy over {parameter}")
            figures.append(roc_figure.roc(sweep, parameter, self.directory, f"{prefix}-roc.png",
                                          sweep_maps.offline_roc(f, sweep)))
            figures.append(sweep_figures.accuracy_vs(sweep, parameter, self.directory,
                                                     f"{prefix}-accuracy-vs-threshold.png"))
        else:
            # Accuracy against the seed says nothing when the figures average over it.
            for i, swept in enumerate(sweep_figures.cell_parameters(sweep) or sweep.parameters):
                self.log(f"{path}: accuracy over {swept}")
                figures.append(sweep_figures.accuracy_vs(sweep, swept, self.directory,
                                                         f"{prefix}-accuracy-vs-{i}.png"))
        ok = sweep_figures.ok_runs(sweep)
        curves = {}
        self.log(f"{path}: accuracy curves of {len(ok)} runs")
        for run in ok["run"]:
            group = sweep.run_groups.get(int(run))
            if group is not None:
                curves[int(run)] = inputs.read_evaluations(f[group], f"{path}:/{group}")
        figures.append(sweep_figures.run_curves(sweep, curves, self.directory,
                                                f"{prefix}-run-accuracy.png"))
        figures.append(sweep_curves.cell_curves(sweep, curves, self.directory,
                                                f"{prefix}-cell-accuracy.png"))
        self.log(f"{path}: dose-response and stress-test maps")
        figures += sweep_maps.figures(sweep, self.directory, prefix)
        section.figures = [x for x in figures if x is not None]
        if not len(ok):
            section.notes.append("No run finished (status ok): no figures.")
        missing = len(ok) - len(curves)
        if missing > 0:
            section.notes.append(f"{missing} successful runs have no runs/<id> group: "
                                 "left out of the accuracy curves.")
        means = sweep_figures.means_table(sweep)
        if means is not None:
            section.tables.append(html_page.Table(
                "Means over seeds (mean [95% confidence interval], Student t bounded to what each "
                "metric can be)", *means))
        elif "seed" in sweep.parameters:
            section.notes.append("This sweep file has no aggregate table (written before "
                                 "poisonsim had one): figures show single runs, not means.")
        columns, rows = sweep_figures.summary_table(sweep)
        section.tables.append(html_page.Table("Runs", columns, rows))
        section.extra_html.append(sweep_maps.run_scenarios_html(sweep))
        self.sections.append(section)

    def add_poison_set(self, f, path, prefix):
        poison_set = inputs.read_poison_set(f, path)
        section = html_page.Section(f"Poison set: {os.path.basename(path)}", path)
        section.provenance = provenance.rows(
            {"provenance": poisonsim.trace.parse_provenance(dict(f.attrs), path)})
        headline = [("method", poison_set.method),
                    ("poisoned samples", f"{len(poison_set.images):,}, images "
                                         + " x ".join(map(str, poison_set.images.shape[1:])))]
        figures = poison_set.figures
        if figures:
            headline.append(("accuracy before / after one retraining",
                             f"{figures.get('accuracy_before', float('nan')):.4f} / "
                             f"{figures.get('accuracy_after', float('nan')):.4f}"))
            if "mean_loss_poison" in figures:
                headline.append(("mean loss on the target: poison / clean seeds",
                                 f"{figures['mean_loss_poison']:.3f} / "
                                 f"{figures.get('mean_loss_clean', float('nan')):.3f}"))
            self.add_method_rows([inputs.method_row(figures, path)], path)
        section.headline = headline
        if "attacker" in figures:
            section.scenario_text = str(figures["attacker"])
        self.log(f"{path}: example images")
        grid = attack_figures.example_grid(poison_set, self.directory, f"{prefix}-examples.png")
        if grid:
            section.figures.append(grid)
        else:
            section.notes.append("The poison set is empty: no example images.")
        self.sections.append(section)

    def add_method_rows(self, rows, source):
        self.method_rows += rows
        self.method_sources.append(source)

    def add_methods_section(self):
        rows = attack_figures.dedupe(self.method_rows)
        if not rows:
            return
        section = html_page.Section("Attack methods: generation rate and potency",
                                    ", ".join(dict.fromkeys(self.method_sources)))
        columns, table = attack_figures.paper_table(rows)
        section.tables.append(html_page.Table("Generation rate and accuracy drop (the paper's "
                                              "table)", columns, table))
        guard_note = attack_figures.guard_note(rows)
        if guard_note:
            section.notes.append(guard_note)
        self.log("attack methods: table and figures")
        section.figures.append(attack_figures.method_bars(rows, self.directory, "methods.png"))
        curves = attack_figures.group_size_curves(rows, self.directory, "direct-group-sizes.png")
        if curves:
            section.figures.append(curves)
        elif any(r.method == "direct" for r in rows):
            section.notes.append("No per-iteration figures of the direct method in these "
                                 "inputs (they come from poisonsim bench attacks --json): no "
                                 "group-size figure.")
        self.sections.append(section)


def add_input(report, path, kind):
    report.log(f"reading {path} ({kind})")
    prefix = report.prefix(path)
    with inputs.open_hdf5(path) as f:
        if kind == "trace":
            trace = inputs.read_trace(f, path)
            report.add_trace(trace, f"Run: {os.path.basename(path)}", prefix)
        elif kind == "sweep":
            report.add_sweep(f, path, prefix)
        else:
            report.add_poison_set(f, path, prefix)


def read_baseline(path):
    """(label, Trace) of a --baseline run trace; ReportError naming it otherwise."""
    if inputs.detect_kind(path) != "trace":
        raise ReportError(path, "--baseline expects a run trace (poisonsim run -o)")
    with inputs.open_hdf5(path) as f:
        trace = inputs.read_trace(f, path)
    return os.path.splitext(os.path.basename(path))[0], trace


def parse_args(argv):
    parser = argparse.ArgumentParser(prog="poisonsim report", usage=USAGE)
    parser.add_argument("inputs", nargs="+", metavar="INPUT")
    parser.add_argument("-o", "--output", required=True, metavar="DIR",
                        help="directory for index.html and the PNG figures (created)")
    parser.add_argument("--json", action="append", default=[], metavar="FILE",
                        help="JSON figures of poisonsim attack/bench attacks (repeatable)")
    parser.add_argument("--baseline", action="append", default=[], metavar="RUN",
                        help="a reference run trace drawn on every run's accuracy figure "
                             "(repeatable)")
    parser.add_argument("--format", default="png", metavar="LIST",
                        help="figure files: comma-separated png, svg, pdf (default png)")
    parser.add_argument("--title", default="poisonsim report", help="page title")
    parser.add_argument("--quiet", action="store_true", help="no progress lines on stderr")
    return parser.parse_args(argv)


def run(args):
    # Every input is checked (kind, format, JSON contents) before any figure is drawn.
    kinds = [(path, inputs.detect_kind(path)) for path in args.inputs + args.json]
    for path in args.json:
        if inputs.detect_kind(path) != "json":
            raise ReportError(path, "--json expects a .json file")
    method_rows = [(path, inputs.read_figures_json(path)) for path, kind in kinds if kind == "json"]
    try:
        plotting.formats = plotting.parse_formats(args.format)
    except ValueError as e:
        raise ReportError("--format", str(e)) from None
    baselines = [read_baseline(path) for path in args.baseline]
    # Written into a directory of its own beside DIR and moved into place when complete: a
    # report that fails leaves an existing DIR as it was, and two reports never mix files.
    output = os.path.abspath(args.output)
    try:
        os.makedirs(os.path.dirname(output), exist_ok=True)
        work = tempfile.mkdtemp(prefix=os.path.basename(output) + ".partial-",
                                dir=os.path.dirname(output))
    except OSError as e:
        raise ReportError(args.output, f"cannot create the output directory ({e.strerror})")
    try:
        report = Report(work, args.quiet, baselines)
        for path, kind in kinds:
            if kind != "json":
                add_input(report, path, kind)
        for path, rows in method_rows:
            report.add_method_rows(rows, path)
        report.add_methods_section()
        page = html_page.render(args.title, report.sections, "poisonsim report")
        with open(os.path.join(work, "index.html"), "w", encoding="utf-8") as f:
            f.write(page)
        os.chmod(work, 0o755)  # mkdtemp's 0700 would hide the page from other users
        replace_directory(work, output)
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise
    index = os.path.join(args.output, "index.html")
    figures = sum(len(s.figures) for s in report.sections)
    print(f"report written to {index} ({figures} figures)")
    return index


def replace_directory(complete, target):
    """Moves the finished report to `target`; an earlier report there goes only now."""
    if not os.path.lexists(target):
        os.rename(complete, target)
        return
    if not os.path.isdir(target) or os.path.islink(target):
        raise ReportError(target, "exists and is not a report directory")
    old = tempfile.mkdtemp(prefix=os.path.basename(target) + ".old-", dir=os.path.dirname(target))
    os.rmdir(old)
    os.rename(target, old)
    os.rename(complete, target)
    shutil.rmtree(old, ignore_errors=True)


def main(argv=None):
    args = parse_args(sys.argv[1:] if argv is None else argv)
    try:
        run(args)
    except ReportError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    return 0
