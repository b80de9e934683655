#!/usr/bin/python3
"""Unit tests of the report (python/poisonsim/report) on runs and sweeps: traces, the output
directory, sweeps with and without seeds, python/scripts/sweep_table.py, and the errors a user can meet.
Inputs are forged by report_test_support; poison sets, bench figures and the paper tables:
report_attack_test.

Run: cd tests && /usr/bin/python3 -m unittest report_script_test   (ctest: report_script_python)
"""
import contextlib
import io
import json
import os
import subprocess
import unittest

import h5py
import numpy as np

from check_trace_layout import COLUMNS
from report_test_support import (PYTHON_DIR, SCRIPT, ReportTestCase, logit_interval,
                                 write_seeded_sweep, write_sweep)
# report_test_support has put python/ on sys.path.
from poisonsim import intervals  # noqa: E402
from poisonsim.report import (inputs, roc_curves, scenario, stage_roc_figure,  # noqa: E402
                              sweep_figures, sweep_headline)
from poisonsim.report.errors import ReportError  # noqa: E402
from poisonsim.report.main import main  # noqa: E402


class TraceReport(ReportTestCase):
    def test_trace_gives_accuracy_and_loss_figures_with_scenario(self):
        page = self.report(self.trace())
        self.assert_figures(page, ["run-accuracy.png", "run-loss.png"])
        self.assertIn('<pre class="scenario">seed: 1', page)
        self.assertIn("loss-threshold, threshold 2.5", page)
        # Headline numbers: 2 of 3 poison samples rejected per batch, none of the clean ones.
        self.assertIn("6 of 9 (66.7%)", page)
        self.assertIn("0 of 44 (0.0%)", page)
        # The refused retrain at 50 s trained on 2 poison samples: not a clean refusal.
        self.assertIn("3 (1 deployed, 1 refused, 0 of them with no poison in the buffer)", page)
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

    def test_a_chain_with_a_scoring_stage_gets_its_offline_roc(self):
        path = self.trace(trace_format=5)
        with h5py.File(path, "a") as f:
            f.attrs["scenario"] = f.attrs["scenario"].replace(
                "guard:\n  type: loss-threshold\n  threshold: 2.5\n",
                "guard:\n- {type: loss-threshold, threshold: 2.5}\n- {type: knn, k: 10}\n")
            samples = f["samples"][:]
            # Stage 2 (knn) scored the samples stage 1 let through: poison high, clean low.
            judged = np.flatnonzero(samples["rejected_by"] != 1)
            rows = [(samples["time"][i], i, 2, samples["is_poison"][i], 0,
                     0.9 if samples["is_poison"][i] else 0.1 * (i % 5)) for i in judged]
            f["scores"] = np.array(rows, dtype=np.dtype(COLUMNS["scores"]))
        page = self.report(path)
        self.assert_figures(page, ["run-accuracy.png", "run-loss.png", "run-stage-roc.png"])
        self.assertIn("loss-threshold + knn, threshold 2.5", page)
        with h5py.File(path, "r") as f:
            trace = inputs.read_trace(f, path)
            curves = stage_roc_figure.stage_curves(
                trace, scenario.parse(trace.scenario_text, path))
        self.assertEqual([(c[0], c[1], c[4], c[5]) for c in curves], [(2, "knn", 3, 44)])
        self.assertAlmostEqual(roc_curves.auc(curves[0][2], curves[0][3]), 1.0)

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
        # One run per setting: no best setting is named from a single draw.
        self.assertIn("none named: a best setting needs means over seeds", page)

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
        low, high = logit_interval(a, b)
        self.assertIn(f"<td>{(a + b) / 2:.4g} [{low:.4g}, {high:.4g}] (n = 2)</td>", page)
        self.assertIn(f"<td>{sweep.summary['accuracy_last'][4]:.4g} (n = 1)</td>", page)
        self.assertIn("<td>2 (1)</td>", page)  # threshold 8: two runs, one failed

    def test_the_best_setting_is_a_mean_over_seeds_with_its_interval(self):
        # accuracy_last means: threshold 0.5 0.86 (2 seeds), 2 0.89 (2), 8 0.89875 (1 run: no
        # mean, left out though higher); the best is threshold 2, whose interval the 0.5 one's
        # reaches.
        write_seeded_sweep(self.path("sweep.h5"))
        with h5py.File(self.path("sweep.h5"), "r") as f:
            sweep = inputs.read_sweep(f, "sweep.h5")
        name, text = sweep_headline.best_setting(sweep)
        self.assertEqual(name, "best setting by mean accuracy at the end")
        low, high = logit_interval(0.895, 0.885)
        self.assertTrue(text.startswith(f"0.8900, 95% CI [{low:.4f}, {high:.4f}] over 2 seeds, "
                                        "at guard.threshold = 2;"), text)
        self.assertIn("the intervals of 1 of the other 1 settings reach it", text)
        self.assertIn("1 setting(s) with one finished run left out", text)
        # The forged runs deployed nothing: the accuracy is the pretrained model's.
        self.assertIn("no run of it deployed a retrained model", text)
        page = self.report(self.path("sweep.h5"))
        self.assertIn(f"0.8900, 95% CI [{low:.4f}, {high:.4f}]", page)
        self.assertNotIn("best accuracy at the end", page)

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
        low, high = logit_interval(*runs["accuracy_last"][:2])
        self.assertAlmostEqual(cells["accuracy_last_low"][0], low, places=12)
        self.assertAlmostEqual(cells["accuracy_last_high"][0], high, places=12)
        self.assertTrue(np.isnan(cells["accuracy_last_low"][2]))  # n = 1: no interval
        self.assertTrue(np.isnan(cells["accuracy_last_high"][2]))

    def test_a_table_from_before_bounded_intervals_is_bounded_when_read(self):
        # Accuracies 0.88 and 0.84: the old table's t interval ran to 0.86 + 0.254 = 1.114.
        write_seeded_sweep(self.path("old.h5"), kind=False)
        with h5py.File(self.path("old.h5"), "r") as f:
            sweep = inputs.read_sweep(f, "old.h5")
        self.assertGreater(sweep.aggregate["ci95_high"].max(), 1.0)
        cells = sweep_figures.cells(sweep)
        low, high = logit_interval(*sweep.summary["accuracy_last"][:2])
        self.assertAlmostEqual(cells["accuracy_last_low"][0], low, places=12)
        self.assertAlmostEqual(cells["accuracy_last_high"][0], high, places=12)
        for metric in inputs.SWEEP_METRICS:
            self.assertTrue((cells[f"{metric}_low"].dropna() >= 0).all(), metric)
            if intervals.metric_kind(metric) == intervals.PROPORTION:
                self.assertTrue((cells[f"{metric}_high"].dropna() <= 1).all(), metric)

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
        low, high = logit_interval(last[0], last[1])
        self.assertIn(f"| 0.5 | 2 | 0.8500 [0.8500, 0.8500] | {(last[0] + last[1]) / 2:.4f} "
                      f"[{low:.4f}, {high:.4f}] |", rows[1])
        self.assertIn(f"| 8.0 | 1 (1 failed) | 0.8500 | {last[4]:.4f} |", rows[3])
        self.assertIn("95% confidence interval", out)

    def test_without_aggregate_table_plain_means_of_finished_runs(self):
        write_seeded_sweep(self.path("old.h5"), aggregate=False)
        code, out, err = self.table(self.path("old.h5"))
        self.assertEqual(code, 0)
        self.assertIn("no aggregate table", err)
        self.assertNotIn(" [", out)  # no intervals
        with h5py.File(self.path("old.h5"), "r") as f:
            summary = inputs.read_sweep(f, "old.h5").summary
        self.assertIn(f"| 8.0 | 1 (1 failed) | 0.8500 | {summary['accuracy_last'][4]:.4f} |", out)
        code, _, err = self.table(self.path("old.h5"), "--mean-over", "guard.missing")
        self.assertEqual(code, 2)
        self.assertIn("'guard.missing' is not a swept parameter", err)


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
        self.assert_error([self.trace(trace_format=6)], "trace_format 6 is not supported")

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
