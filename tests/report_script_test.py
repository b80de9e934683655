#!/usr/bin/python3
"""Unit tests of the report (python/poisonsim/report) on tiny traces, sweeps and poison sets forged
with h5py in the trace layout of docs/trace-format.md (columns from check_trace_layout.py).

Run: cd tests && /usr/bin/python3 -m unittest report_script_test   (ctest: report_script_python)
"""
import base64
import contextlib
import io
import json
import os
import re
import subprocess
import sys
import tempfile
import unittest

import h5py
import numpy as np

TESTS = os.path.dirname(os.path.abspath(__file__))
PYTHON_DIR = os.path.join(os.path.dirname(TESTS), "python")
SCRIPT = os.path.join(PYTHON_DIR, "scripts", "report.py")
sys.path.insert(0, TESTS)
sys.path.insert(0, PYTHON_DIR)

from check_trace_layout import COLUMNS  # noqa: E402
from poisonsim.report import attack_figures, inputs, paper_tables, scenario, sweep_figures  # noqa: E402
from poisonsim.report.errors import ReportError  # noqa: E402
from poisonsim.report.main import main  # noqa: E402

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"

SCENARIO = """seed: 1
duration: 100
attackers:
  - type: {attack}
    name: mallory
    start: 20
    stop: 70
guard:
  type: {guard}
  threshold: 2.5
"""


def table(rows, name):
    dtype = np.dtype(COLUMNS[name])
    return np.array([tuple(r) for r in rows], dtype=dtype)


def write_trace(group, guard="loss-threshold", samples=True, threshold_column=False,
                attack="direct", trace_format=2):
    """A 100 s run: clean batches every 10 s, poison batches at 30, 40 and 60 s, retrains at
    25 s (deployed), 50 s (refused) and 75 s (empty), evaluations every 25 s."""
    group.attrs["scenario"] = SCENARIO.format(guard=guard, attack=attack)
    group.attrs["seed"] = np.uint64(1)
    group.attrs["poisonsim_version"] = "test"
    group.attrs["trace_format"] = np.int32(trace_format)
    group.attrs["complete"] = np.uint8(1)
    events, sample_rows, batch = [], [], 0
    rng = np.random.default_rng(0)
    for t in range(0, 101, 10):
        events.append((t, b"stream-batch", b"public", batch, 4, 4, 0))
        for _ in range(4):
            loss = rng.uniform(0.05, 1.0)
            sample_rows.append((t, batch, b"public", 0, 1, 1, loss, 1, 0, 0))
        batch += 1
        if t in (30, 40, 60):
            events.append((t, b"poison-batch", b"mallory", batch, 3, 1, 2))
            for k in range(3):
                loss = 6.0 if k else 1.5
                sample_rows.append((t, batch, b"mallory", 1, 2, 1, loss, 2, int(k > 0), 0))
            batch += 1
    events.append((100, b"end", b"system", -1, 0, 0, 0))
    group["events"] = table(events, "events")
    group["retrains"] = table([
        (25, 0, 40, 0, 0.0, 0.5, 0.4, 0.9, 0.91, 0.88, 0.9, b"allow", 1, 1),
        (50, 1, 40, 2, 0.05, 0.4, 0.9, 0.91, 0.7, 0.9, 0.68, b"refuse", 0, 1),
        (75, 2, 0, 0, 0.0, 0.4, 0.4, 0.91, 0.91, 0.9, 0.9, b"empty", 0, 1)], "retrains")
    group["evaluations"] = table(
        [(t, 1, 0.9 - 0.001 * t, 0.4, 100) for t in (0, 25, 50, 75, 100)], "evaluations")
    if samples:
        data = table(sample_rows, "samples")
        if threshold_column:  # an adaptive guard that records its per-sample threshold
            dtype = np.dtype(COLUMNS["samples"] + [("threshold", "<f8")])
            extended = np.zeros(len(data), dtype)
            for column in data.dtype.names:
                extended[column] = data[column]
            extended["threshold"] = np.linspace(3.0, 2.0, len(data))
            data = extended
        group["samples"] = data


def write_sweep(path, parameters=("guard.threshold", "attackers.0.rate"), failed_run=True):
    thresholds, rates = [0.5, 2.0, 8.0], [0.1, 0.3]
    with h5py.File(path, "w") as f:
        f.attrs["kind"] = "sweep"
        f.attrs["poisonsim_version"] = "test"
        f.attrs["trace_format"] = np.int32(1)
        f.attrs["scenario"] = "seed: 1\nguard: {type: loss-threshold}\n"
        f.attrs["parameters"] = json.dumps(list(parameters))
        f.attrs["complete"] = np.uint8(1)
        fields = [("run", "<i8"), ("status", "S8")]
        fields += [(p, "<f8") for p in parameters]
        fields += [(m, "<i8" if m in ("poison_samples", "poison_rejected", "clean_samples",
                                      "clean_rejected", "retrains", "deployed", "refused")
                    else "<f8") for m in inputs.SWEEP_METRICS]
        rows, run = [], 0
        for rate in rates:
            for threshold in thresholds:
                status = b"failed" if failed_run and run == 5 else b"ok"
                values = {"guard.threshold": threshold, "attackers.0.rate": rate}
                tpr, fpr = 1 / (1 + threshold), 0.2 / threshold
                metrics = {m: 0 for m in inputs.SWEEP_METRICS}
                metrics.update(accuracy_last=0.9 - rate / threshold / 10, accuracy_mean=0.85,
                               accuracy_first=0.9, accuracy_min=0.8,
                               true_positive_rate=tpr, false_positive_rate=fpr)
                if run == 4:
                    metrics["false_positive_rate"] = float("nan")  # no clean samples
                rows.append((run, status, *[values[p] for p in parameters],
                             *[metrics[m] for m in inputs.SWEEP_METRICS]))
                if status == b"ok":
                    write_trace(f.create_group(f"runs/{run}"))
                run += 1
        f["summary"] = np.array(rows, dtype=fields)


T_975_1 = 12.706204736174707  # Student t quantile at 0.975 with 1 degree of freedom


def write_seeded_sweep(path, aggregate=True):
    """Three thresholds x seeds 1, 2 (run 5, threshold 8 seed 2, failed), and the aggregate table
    poisonsim writes: mean, sd and the Student t interval per threshold and metric."""
    write_sweep(path, parameters=("guard.threshold", "attackers.0.rate"))
    with h5py.File(path, "a") as f:
        f.attrs["parameters"] = json.dumps(["guard.threshold", "seed"])
        old = f["summary"][:]
        names = [n if n != "attackers.0.rate" else "seed" for n in old.dtype.names]
        summary = old.copy()
        summary.dtype.names = names
        # Rows are (rate 0.1: thresholds .5 2 8), (rate 0.3: ...): make them seeds 1 and 2 of
        # the threshold, in grid order (threshold slowest).
        order = [0, 3, 1, 4, 2, 5]
        summary = summary[order]
        summary["run"] = np.arange(6)
        summary["seed"] = [1, 2, 1, 2, 1, 2]
        summary["status"] = [b"ok"] * 5 + [b"failed"]
        del f["summary"]
        f["summary"] = summary
        if not aggregate:
            return
        rows = []
        for cell, threshold in enumerate((0.5, 2.0, 8.0)):
            members = summary[(summary["guard.threshold"] == threshold)]
            ok = members[members["status"] == b"ok"]
            for metric in inputs.SWEEP_METRICS:
                values = np.array([v for v in ok[metric].astype(float) if not np.isnan(v)])
                n = len(values)
                mean = values.mean() if n else np.nan
                sd = values.std(ddof=1) if n > 1 else np.nan
                t = T_975_1 if n == 2 else np.nan
                half = t * sd / np.sqrt(n) if n > 1 else np.nan
                rows.append((cell, threshold, metric.encode(), len(members),
                             len(members) - len(ok), n, mean, sd, t, half, mean - half,
                             mean + half))
        f["aggregate"] = np.array(rows, dtype=[
            ("cell", "<i8"), ("guard.threshold", "<f8"), ("metric", "S27"), ("runs", "<i8"),
            ("failed", "<i8"), ("n", "<i8"), ("mean", "<f8"), ("sd", "<f8"), ("t", "<f8"),
            ("ci95_half_width", "<f8"), ("ci95_low", "<f8"), ("ci95_high", "<f8")])


def write_poison_set(path, figures, n=20, channels=1):
    rng = np.random.default_rng(1)
    with h5py.File(path, "w") as f:
        f.attrs["format"] = inputs.POISON_SET_FORMAT
        f.attrs["method"] = figures.get("method", "direct")
        f.attrs["figures"] = json.dumps(figures)
        seeds = rng.uniform(0, 1, (n, channels, 8, 8)).astype(np.float32)
        f["seed_images"] = seeds
        f["images"] = np.clip(seeds + rng.normal(0, 0.2, seeds.shape), 0, 1).astype(np.float32)
        f["labels"] = np.arange(n, dtype=np.int64) % 10
        f["seed_labels"] = np.arange(n, dtype=np.int64) % 10


def attack_figures_json(method="direct", group=1, rate=2.0, seconds=10.0, after=0.45):
    figures = {"method": method, "n": 20, "seconds": seconds, "samples_per_second": rate,
               "accuracy_before": 0.84, "accuracy_after": after, "accuracy_after_std": 0.02,
               "accuracy_after_ci95": 0.025,
               "mean_loss_poison": 9.0, "mean_loss_clean": 0.4,
               "attacker": f"type: {method}\nname: attacker\n"}
    if method == "direct":
        figures["attacker"] += f"group_size: {group}\n"
        figures["group_size"] = group  # as poisonsim attack and bench attacks write it
    return figures


GUARD = {"type": "loss-threshold", "threshold": 3.0, "poison_rejected": 0.9,
         "clean_rejected": 0.02}


def bench_json(path, with_iterations=True, guard=None, engines=(None,)):
    """`bench attacks --json`; with engines, one direct entry per engine and group size (the
    factored engine ten times faster), labelled as the bench labels them."""
    methods = []
    for group, rate in ((100, 250.0), (10, 30.0), (1, 2.0)):
        for engine in engines:
            entry = attack_figures_json("direct", group, rate * (10 if engine == "factored" else 1))
            entry["label"] = f"direct g={group}" + (f" {engine}" if engine else "")
            if engine:
                entry["engine"] = engine
            if with_iterations:
                entry["group_size"] = group
                entry["direct"] = {"group_size": group, "groups": 1,
                                   "objective_by_iteration": list(np.linspace(0.4, 2 + group / 50,
                                                                              6)),
                                   "accuracy_by_iteration": list(np.linspace(0.9, 0.5, 6))}
            methods.append(entry)
    generative = attack_figures_json("generative", rate=200.0, after=0.47)
    generative["label"] = "generative unrolled"
    methods.append(generative)
    if guard:
        for entry in methods:
            entry["guard"] = dict(guard)
    with open(path, "w") as f:
        json.dump({"benchmark": "attacks", "n": 20, "retrain_seeds": 3, "mixed_ratio": 5,
                   "methods": methods}, f)


class ReportTestCase(unittest.TestCase):
    def setUp(self):
        self._dir = tempfile.TemporaryDirectory()
        self.tmp = self._dir.name
        self.out = os.path.join(self.tmp, "out")

    def tearDown(self):
        self._dir.cleanup()

    def path(self, name):
        return os.path.join(self.tmp, name)

    def trace(self, name="run.h5", **options):
        path = self.path(name)
        with h5py.File(path, "w") as f:
            write_trace(f, **options)
        return path

    def report(self, *args):
        """Runs main() in-process; returns the page's text."""
        with contextlib.redirect_stdout(io.StringIO()):
            self.assertEqual(main([*args, "-o", self.out, "--quiet"]), 0)
        with open(os.path.join(self.out, "index.html"), encoding="utf-8") as f:
            return f.read()

    def embedded(self, page):
        """(figure id, SVG bytes) of every figure the page embeds."""
        return [(name, base64.b64decode(data)) for name, data in re.findall(
            r'<figure id="([^"]+)"><img src="data:image/svg\+xml;base64,([^"]+)"', page)]

    def assert_figures(self, page, names):
        """Every named PNG is in DIR, the page embeds each figure as SVG, and nothing else."""
        embedded = self.embedded(page)
        self.assertEqual(sorted(n for n, _ in embedded), sorted(names))
        for name, svg in embedded:
            with open(os.path.join(self.out, name), "rb") as f:
                png = f.read()
            self.assertTrue(png.startswith(PNG_MAGIC), name)
            self.assertIn(b"<svg", svg[:1000], name)

    def run_script(self, *args):
        """The entry script as poisonsim runs it: exit code and stderr."""
        result = subprocess.run(["/usr/bin/python3", SCRIPT, *args, "-o", self.out],
                                capture_output=True, text=True)
        return result.returncode, result.stderr


class TraceReport(ReportTestCase):
    def test_trace_gives_accuracy_and_loss_figures_with_scenario(self):
        page = self.report(self.trace())
        self.assert_figures(page, ["run-accuracy.png", "run-loss.png"])
        self.assertIn('<pre class="scenario">seed: 1', page)
        self.assertIn("loss-threshold, threshold 2.5", page)
        # Headline numbers: 2 of 3 poison samples rejected per batch, none of the clean ones.
        self.assertIn("6 of 9 (66.7%)", page)
        self.assertIn("0 of 44 (0.0%)", page)
        self.assertIn("3 (1 deployed, 1 refused)", page)
        self.assertIn('id="image-check"', page)

    def test_without_samples_table_the_loss_figure_is_explained(self):
        page = self.report(self.trace(samples=False))
        self.assert_figures(page, ["run-accuracy.png"])
        self.assertIn("No samples table", page)
        self.assertIn("6 of 9 (no samples table)", page)

    def test_adaptive_guard_draws_its_recorded_threshold_or_says_why_not(self):
        page = self.report(self.trace(guard="adaptive"))
        self.assert_figures(page, ["run-accuracy.png", "run-loss.png"])
        self.assertIn("not in this trace: none is drawn", page)
        page = self.report(self.trace("recorded.h5", guard="adaptive", threshold_column=True))
        self.assertNotIn("not in this trace", page)

    def test_guard_and_attack_windows_come_from_scenario_and_events(self):
        with h5py.File(self.trace(), "r") as f:
            trace = inputs.read_trace(f, "run.h5")
        self.assertEqual(trace.events["kind"].iloc[0], "stream-batch")  # bytes decoded
        parsed = scenario.parse(trace.scenario_text, "run.h5")
        self.assertEqual(scenario.guard(parsed).threshold, 2.5)
        self.assertIsNone(scenario.guard({"guard": {"type": "adaptive"}}).threshold)
        self.assertIsNone(scenario.guard({}).threshold)
        [window] = scenario.attack_windows(parsed, trace.events, trace.duration)
        self.assertEqual((window.name, window.start, window.stop), ("mallory", 20, 70))
        self.assertEqual((window.first_batch, window.last_batch), (30, 60))
        no_stop = scenario.attack_windows({"attackers": [{"name": "x"}]}, trace.events, 100)
        self.assertEqual((no_stop[0].start, no_stop[0].stop, no_stop[0].first_batch),
                         (0, 100, None))

    def test_two_inputs_with_one_name_get_separate_figures(self):
        os.mkdir(self.path("b"))
        page = self.report(self.trace(), self.trace(os.path.join("b", "run.h5")))
        self.assert_figures(page, ["run-accuracy.png", "run-loss.png", "run-2-accuracy.png",
                                   "run-2-loss.png"])


class ReportOutput(ReportTestCase):
    """The page directory is replaced only by a complete report, and no work files remain."""

    def leftovers(self):
        return [n for n in os.listdir(self.tmp) if ".partial-" in n or ".old-" in n]

    def test_a_new_report_replaces_the_old_one_whole(self):
        self.report(self.trace())
        with open(os.path.join(self.out, "stale.png"), "w") as f:
            f.write("from an older report")
        self.report(self.trace())
        self.assertFalse(os.path.exists(os.path.join(self.out, "stale.png")))
        self.assertEqual(self.leftovers(), [])

    def test_a_report_that_fails_midway_leaves_the_old_one_as_it_was(self):
        self.report(self.trace())
        before = sorted(os.listdir(self.out))
        broken = self.trace("broken.h5")
        with h5py.File(broken, "a") as f:
            del f["evaluations"]  # found only when its figure is drawn
        with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
            code = main([self.trace("good.h5"), broken, "-o", self.out, "--quiet"])
        self.assertEqual(code, 2)
        self.assertEqual(sorted(os.listdir(self.out)), before)
        self.assertEqual(self.leftovers(), [])


class SweepReport(ReportTestCase):
    def test_threshold_sweep_gives_roc_accuracy_and_run_curves(self):
        write_sweep(self.path("sweep.h5"))
        page = self.report(self.path("sweep.h5"))
        self.assert_figures(page, ["sweep-roc.png", "sweep-accuracy-vs-threshold.png",
                                   "sweep-run-accuracy.png"])
        self.assertIn("6 (5 ok, 1 failed)", page)
        self.assertIn("guard.threshold, attackers.0.rate", page)
        self.assertEqual(page.count("<td>failed</td>"), 1)
        self.assertIn("<td>ok</td>", page)
        self.assertIn('<pre class="scenario">seed: 1', page)

    def test_sweep_reading(self):
        write_sweep(self.path("sweep.h5"))
        with h5py.File(self.path("sweep.h5"), "r") as f:
            sweep = inputs.read_sweep(f, "sweep.h5")
        self.assertEqual(sweep.parameters, ["guard.threshold", "attackers.0.rate"])
        self.assertEqual(sweep_figures.threshold_parameter(sweep), "guard.threshold")
        self.assertEqual(list(sweep.summary["status"]), ["ok"] * 5 + ["failed"])
        self.assertEqual(sorted(sweep.run_groups), [0, 1, 2, 3, 4])

    def test_sweep_without_threshold_plots_accuracy_per_parameter(self):
        write_sweep(self.path("rates.h5"), parameters=("attackers.0.rate",), failed_run=False)
        page = self.report(self.path("rates.h5"))
        self.assert_figures(page, ["rates-accuracy-vs-0.png", "rates-run-accuracy.png"])

    def test_bad_sweep_attributes_are_named(self):
        write_sweep(self.path("sweep.h5"))
        with h5py.File(self.path("sweep.h5"), "a") as f:
            f.attrs["parameters"] = json.dumps(["guard.missing"])
        with h5py.File(self.path("sweep.h5"), "r") as f, self.assertRaises(ReportError) as e:
            inputs.read_sweep(f, "sweep.h5")
        self.assertIn("no column guard.missing", str(e.exception))


class SeededSweepReport(ReportTestCase):
    def test_means_over_seeds_with_intervals_in_figures_and_table(self):
        write_seeded_sweep(self.path("sweep.h5"))
        page = self.report(self.path("sweep.h5"))
        self.assert_figures(page, ["sweep-roc.png", "sweep-accuracy-vs-threshold.png",
                                   "sweep-run-accuracy.png", "sweep-cell-accuracy.png"])
        self.assertIn("95% confidence intervals of the mean (Student t", page)
        self.assertIn("Means over seeds", page)
        self.assertIn("seeds per setting", page)
        # accuracy_last at threshold 0.5: runs 0 and 1 of the forged sweep.
        with h5py.File(self.path("sweep.h5"), "r") as f:
            sweep = inputs.read_sweep(f, "sweep.h5")
        a, b = sweep.summary["accuracy_last"][:2]
        half = T_975_1 * abs(a - b) / 2
        self.assertIn(f"<td>{(a + b) / 2:.4g} ± {half:.2g} (n = 2)</td>", page)
        self.assertIn(f"<td>{sweep.summary['accuracy_last'][4]:.4g} (n = 1)</td>", page)
        self.assertIn("<td>2 (1)</td>", page)  # threshold 8: two runs, one failed

    def test_cells_are_the_aggregate_tables_means(self):
        write_seeded_sweep(self.path("sweep.h5"))
        with h5py.File(self.path("sweep.h5"), "r") as f:
            sweep = inputs.read_sweep(f, "sweep.h5")
        self.assertTrue(sweep_figures.seeded(sweep))
        self.assertEqual(sweep_figures.cell_parameters(sweep), ["guard.threshold"])
        cells = sweep_figures.cells(sweep)
        self.assertEqual(list(cells["guard.threshold"]), [0.5, 2.0, 8.0])
        runs = sweep.summary
        for cell, threshold in enumerate((0.5, 2.0, 8.0)):
            ok = runs[(runs["guard.threshold"] == threshold) & (runs["status"] == "ok")]
            self.assertAlmostEqual(cells["accuracy_last"][cell], ok["accuracy_last"].mean())
            self.assertEqual(cells["accuracy_last_n"][cell], len(ok))
        self.assertAlmostEqual(cells["accuracy_last_ci"][0],
                               T_975_1 * runs["accuracy_last"][:2].std(ddof=1) / np.sqrt(2))
        self.assertTrue(np.isnan(cells["accuracy_last_ci"][2]))  # n = 1: no interval

    def test_without_aggregate_table_the_runs_are_plotted_and_it_says_so(self):
        write_seeded_sweep(self.path("old.h5"), aggregate=False)
        page = self.report(self.path("old.h5"))
        self.assert_figures(page, ["old-roc.png", "old-accuracy-vs-threshold.png",
                                   "old-run-accuracy.png"])
        self.assertIn("no aggregate table", page)
        self.assertNotIn("Means over seeds", page)

    def test_aggregate_without_its_columns_is_named(self):
        write_seeded_sweep(self.path("sweep.h5"))
        with h5py.File(self.path("sweep.h5"), "a") as f:
            data = f["aggregate"][:]
            del f["aggregate"]
            f["aggregate"] = data[["cell", "metric", "mean"]]
        with h5py.File(self.path("sweep.h5"), "r") as f, self.assertRaises(ReportError) as e:
            inputs.read_sweep(f, "sweep.h5")
        self.assertIn("sweep 'aggregate' has no column runs", str(e.exception))


class SweepTableScript(ReportTestCase):
    """python/scripts/sweep_table.py, the Markdown table of means over seeds for the README."""
    SCRIPT = os.path.join(PYTHON_DIR, "scripts", "sweep_table.py")

    def table(self, path, *args):
        result = subprocess.run(["/usr/bin/python3", self.SCRIPT, path, *args],
                                capture_output=True, text=True)
        return result.returncode, result.stdout, result.stderr

    def test_means_with_intervals_from_the_aggregate_table(self):
        write_seeded_sweep(self.path("sweep.h5"))
        code, out, _ = self.table(self.path("sweep.h5"))
        self.assertEqual(code, 0)
        with h5py.File(self.path("sweep.h5"), "r") as f:
            summary = inputs.read_sweep(f, "sweep.h5").summary
        last = summary["accuracy_last"]
        rows = [line for line in out.splitlines() if line.startswith("| ") and "---" not in line]
        self.assertEqual(len(rows), 4)  # header and three thresholds
        self.assertIn(f"| 0.5 | 2 | 0.8500 ± 0.0000 | {(last[0] + last[1]) / 2:.4f} ± "
                      f"{T_975_1 * abs(last[0] - last[1]) / 2:.4f} |", rows[1])
        self.assertIn(f"| 8.0 | 1 (1 failed) | 0.8500 | {last[4]:.4f} |", rows[3])
        self.assertIn("95% confidence interval", out)

    def test_without_aggregate_table_plain_means_of_finished_runs(self):
        write_seeded_sweep(self.path("old.h5"), aggregate=False)
        code, out, err = self.table(self.path("old.h5"))
        self.assertEqual(code, 0)
        self.assertIn("no aggregate table", err)
        self.assertNotIn("±", out)
        with h5py.File(self.path("old.h5"), "r") as f:
            summary = inputs.read_sweep(f, "old.h5").summary
        self.assertIn(f"| 8.0 | 1 (1 failed) | 0.8500 | {summary['accuracy_last'][4]:.4f} |", out)
        code, _, err = self.table(self.path("old.h5"), "--mean-over", "guard.missing")
        self.assertEqual(code, 2)
        self.assertIn("'guard.missing' is not a swept parameter", err)


class AttackReport(ReportTestCase):
    def test_poison_set_and_bench_json_give_images_table_and_group_sizes(self):
        write_poison_set(self.path("poison.h5"), attack_figures_json("direct", 1, 2.0))
        bench_json(self.path("bench.json"))
        page = self.report(self.path("poison.h5"), "--json", self.path("bench.json"))
        self.assert_figures(page, ["poison-examples.png", "methods.png",
                                   "direct-group-sizes.png"])
        # Rate ratios against the slowest direct run (group 1, 2 samples/s); the poison set's
        # own row equals the bench's direct g=1 row but was not labelled by the bench: kept.
        self.assertIn("rate / direct g=1", page)
        self.assertIn('<td class="num">100.0x</td>', page)  # generative: 200 / 2
        self.assertIn('<td class="num">125.0x</td>', page)  # direct g=100: 250 / 2
        self.assertIn("0.4500 ± 0.0250", page)
        self.assertIn('<td class="num">39.0</td>', page)  # drop in points: 0.84 - 0.45

    def test_without_iterations_the_group_size_figure_is_explained(self):
        bench_json(self.path("bench.json"), with_iterations=False)
        page = self.report(self.path("bench.json"))
        self.assert_figures(page, ["methods.png"])
        self.assertIn("no group-size figure", page)

    def test_colour_poison_set_and_duplicate_rows(self):
        figures = attack_figures_json("generative", rate=300.0)
        write_poison_set(self.path("colour.h5"), figures, n=3, channels=3)
        with open(self.path("colour.json"), "w") as f:
            json.dump(figures, f)
        page = self.report(self.path("colour.h5"), self.path("colour.json"))
        self.assert_figures(page, ["colour-examples.png", "methods.png"])
        self.assertEqual(page.count("<tr><td>generative</td>"), 1)  # one row, not two

    def test_method_rows(self):
        row = inputs.method_row(attack_figures_json("direct", 10), "a.json")
        self.assertEqual((row.label, row.group_size), ("direct g=10", 10))
        with self.assertRaises(ReportError) as e:
            inputs.method_row({"method": "noise"}, "a.json")
        self.assertIn("a.json: attack figures have no 'n' field", str(e.exception))
        rows = [inputs.method_row(attack_figures_json("direct", g, r), "x")
                for g, r in ((100, 250.0), (1, 2.0))]
        self.assertEqual(attack_figures.reference(rows).group_size, 1)

    def test_engines_are_read_and_autograd_is_the_reference(self):
        bench_json(self.path("bench.json"), engines=("factored", "autograd"))
        rows = inputs.read_figures_json(self.path("bench.json"))
        self.assertEqual([(r.label, r.engine) for r in rows if r.group_size == 1],
                         [("direct g=1 factored", "factored"), ("direct g=1 autograd", "autograd")])
        # The paper's rate comparison is with the autograd engine, even though the factored
        # row of the same group is listed first and is faster.
        self.assertEqual(attack_figures.reference(rows).label, "direct g=1 autograd")
        columns, table = attack_figures.paper_table(rows)
        self.assertIn("rate / direct g=1 autograd", columns)
        by_label = {row[0]: row for row in table}
        self.assertEqual(by_label["direct g=1 factored"][4], "10.0x")
        page = self.report(self.path("bench.json"))
        self.assert_figures(page, ["methods.png", "direct-group-sizes.png"])
        self.assertIn("dotted: autograd", page)


def seed_means_json(path, poison_rate=0.0, clean_rate=0.0, accuracy=(0.84, 0.85, 0.80),
                    deployed=9, refused=1, half_width=0.01):
    """What `poisonsim inspect SWEEP.h5 --mean-over seed --json` prints of a seeds-only sweep
    (one cell, 5 seeds), the fields the paper tables read; rates without poison are null."""
    first, last, lowest = accuracy

    def metric(mean, half=half_width):
        return {"n": 5, "mean": mean, "sd": None if mean is None else half,
                "ci95_half_width": None if mean is None else half}

    metrics = {"accuracy_first": metric(first), "accuracy_last": metric(last),
               "accuracy_min": metric(lowest), "accuracy_mean": metric((first + last) / 2),
               "true_positive_rate": metric(poison_rate if poison_rate else None),
               "false_positive_rate": metric(clean_rate, 0.002),
               "deployed": metric(float(deployed), 0.5), "refused": metric(float(refused), 0.5)}
    means = {"sweep": "s.h5", "mean_over": "seed", "seeds": [1, 2, 3, 4, 5], "parameters": [],
             "cells": [{"cell": 0, "values": {}, "runs": 5, "failed": 0, "metrics": metrics}]}
    with open(path, "w") as f:
        json.dump(means, f)


class PaperTables(ReportTestCase):
    """python/scripts/paper_table.py: the README's tables from one tools/scripts/paper.sh directory."""

    def paper_dir(self):
        os.makedirs(self.path("d/runs"))
        bench_json(self.path("d/bench.json"), guard=GUARD)
        for attacker, poison in (("none", False), ("direct", True), ("generative", True)):
            for defense in ("undefended", "defended"):
                defended = defense == "defended"
                seed_means_json(self.path(f"d/runs/{attacker}-{defense}.json"),
                                poison_rate=0.75 if poison and defended else 0.0,
                                clean_rate=0.03 if defended else 0.0)
        return self.path("d")

    def test_tables_hold_rates_ratios_accuracy_and_detection(self):
        text = paper_tables.tables(self.paper_dir(), "Toy")
        self.assertTrue(text.startswith("### Toy\n"))
        # The paper's table: ratio to direct g=1 (2 samples/s), accuracy before/after, drop,
        # and the guard's offline detection with its clean-seed false positives.
        self.assertIn("| generative unrolled | 20 | 10.00 | 200.0 | 100.0x | 0.8400 | "
                      "0.4700 ± 0.0250 | 37.0 | 90.0% |", text)
        self.assertIn("rejected by loss-threshold 3", text)
        self.assertIn("rejects 2.0% of the clean seeds", text)
        # The deployment table: one row per attacker x defense, means over seeds ± the 95%
        # intervals' half-widths, rates by ground truth ('-' where no poison came).
        self.assertIn("| direct gradient | loss guard + gate | 0.8450 ± 0.0100 | 0.8500 ± 0.0100 "
                      "| 0.8000 ± 0.0100 | 75.0% ± 1.0% | 3.0% ± 0.2% | 9.0 ± 0.5 | 1.0 ± 0.5 |",
                      text)
        self.assertIn("| none | none | 0.8450 ± 0.0100 | 0.8500 ± 0.0100 | 0.8000 ± 0.0100 | - "
                      "| 0.0% ± 0.2% | 9.0 ± 0.5 | 1.0 ± 0.5 |", text)
        self.assertIn("--seeds 5`, seeds 1, 2, 3, 4, 5", text)
        self.assertIn("Pretrained accuracy: 0.8400 ± 0.0100", text)

    def test_report_page_shows_the_guard_column(self):
        bench_json(self.path("bench.json"), guard=GUARD)
        page = self.report(self.path("bench.json"))
        self.assertIn("rejected by loss-threshold 3", page)
        self.assertIn("90.0%", page)

    def test_without_a_guard_there_is_no_guard_column(self):
        bench_json(self.path("bench.json"))
        rows = inputs.read_figures_json(self.path("bench.json"))
        columns, _ = attack_figures.paper_table(rows)
        self.assertFalse(any(c.startswith("rejected by") for c in columns))
        self.assertIsNone(attack_figures.guard_note(rows))

    def test_missing_or_bad_run_is_named(self):
        directory = self.paper_dir()
        os.remove(self.path("d/runs/generative-defended.json"))
        with self.assertRaises(ReportError) as e:
            paper_tables.tables(directory, "Toy")
        self.assertIn("generative-defended.json: no such file", str(e.exception))
        with open(self.path("d/runs/generative-defended.json"), "w") as f:
            json.dump({"run": {}}, f)
        with self.assertRaises(ReportError) as e:
            paper_tables.tables(directory, "Toy")
        self.assertIn("not `poisonsim inspect --mean-over seed --json` output",
                      str(e.exception))

    def test_script_exit_codes(self):
        script = os.path.join(PYTHON_DIR, "scripts", "paper_table.py")
        good = subprocess.run(["/usr/bin/python3", script, self.paper_dir()],
                              capture_output=True, text=True)
        self.assertEqual(good.returncode, 0, good.stderr)
        self.assertTrue(good.stdout.startswith("### d\n"))
        missing = subprocess.run(["/usr/bin/python3", script, self.path("nope")],
                                 capture_output=True, text=True)
        self.assertEqual(missing.returncode, 2)
        self.assertEqual(missing.stderr.strip(), f"error: {self.path('nope')}: no such directory")
        os.remove(self.path("d/bench.json"))
        no_bench = subprocess.run(["/usr/bin/python3", script, self.path("d")],
                                  capture_output=True, text=True)
        self.assertEqual(no_bench.returncode, 2)
        self.assertIn("bench.json: no such file", no_bench.stderr)


class Errors(ReportTestCase):
    def assert_error(self, args, *fragments):
        code, stderr = self.run_script(*args)
        self.assertEqual(code, 2, stderr)
        lines = stderr.strip().splitlines()
        self.assertEqual(len(lines), 1, stderr)
        self.assertTrue(lines[0].startswith("error: "), stderr)
        for fragment in fragments:
            self.assertIn(fragment, lines[0])

    def test_missing_file(self):
        self.assert_error([self.path("nope.h5")], "nope.h5: no such file")

    def test_not_hdf5(self):
        with open(self.path("text.h5"), "w") as f:
            f.write("hello\n")
        self.assert_error([self.path("text.h5")], "text.h5: not an HDF5 file")

    def test_hdf5_of_no_known_kind(self):
        with h5py.File(self.path("other.h5"), "w") as f:
            f["x"] = np.zeros(3)
        self.assert_error([self.path("other.h5")], "other.h5: an HDF5 file of no known kind")

    def test_unsupported_trace_format(self):
        self.assert_error([self.trace(trace_format=3)], "trace_format 3 is not supported")

    def test_bad_json(self):
        with open(self.path("bad.json"), "w") as f:
            f.write("{not json")
        self.assert_error([self.trace(), "--json", self.path("bad.json")],
                          "bad.json: not valid JSON")
        with open(self.path("other.json"), "w") as f:
            json.dump({"benchmark": "serving"}, f)
        self.assert_error([self.path("other.json")], "other.json: JSON that is neither")

    def test_missing_option_is_a_usage_error(self):
        result = subprocess.run(["/usr/bin/python3", SCRIPT, "x.h5"], capture_output=True,
                                text=True)
        self.assertEqual(result.returncode, 2)
        self.assertIn("-o/--output", result.stderr)


if __name__ == "__main__":
    unittest.main()
