#!/usr/bin/python3
"""Unit tests of the report's paper figures (python/poisonsim/report, docs/report.md): the loss underflow
bin, accuracy as steps with references, --format files, the dose-response and stress-test
figures of a forged seeded sweep, the CI bands in the embedded SVG, the provenance tables and
each sweep run's overrides.

Run: cd tests && /usr/bin/python3 -m unittest report_figures_test   (ctest: report_figures_python)
"""
import itertools
import json
import os
import re
import unittest

import h5py
import numpy as np
import pandas as pd

from report_test_support import ReportTestCase, T_975_1, logit_interval, write_trace
from poisonsim import intervals
from poisonsim.report import inputs, roc_curves, sweep_curves, sweep_maps, trace_figures
from poisonsim.report.plotting import plt

PROVENANCE = {"poisonsim_version": "0.3.0", "git_commit": "abc1234-dirty",
              "command_line": ["poisonsim", "run", "s.yaml"], "cpu": "Test CPU",
              "instruction_sets": "avx2", "blas_kernel": "Haswell", "libtorch": "2.1",
              "threads": {"libtorch": 2, "blas": 1}, "host": "testhost",
              "start_time_utc": "2026-12-01T12:00:00Z"}


def write_grid_sweep(path, axes, seeds=(1, 2), common_sets=("duration=40",), clean_rate=None):
    """A seeded sweep over the grid of `axes` ({path: values}, numeric or text) x seeds with
    its aggregate table. Metrics are smooth in the values plus seed noise; with `clean_rate`,
    cells whose attackers.0.rate equals it saw no poison."""
    names = list(axes)
    parameters = [*names, "seed"]
    rng = np.random.default_rng(4)
    rows, run = [], 0
    for values in itertools.product(*axes.values()):
        setting = dict(zip(names, values))
        for seed in seeds:
            rate = float(setting.get("attackers.0.rate", 0.1))
            threshold = float(setting.get("guard.threshold", 2.0))
            noise = rng.normal(0, 0.01)
            metrics = {m: 0.0 for m in inputs.SWEEP_METRICS}
            metrics.update(
                accuracy_last=0.9 - rate / threshold + noise, accuracy_mean=0.88 - rate / 4
                - abs(threshold - 2) / 20 + noise, accuracy_first=0.9, accuracy_min=0.8 + noise,
                true_positive_rate=1 / (1 + threshold), false_positive_rate=0.2 / threshold,
                refused=float(seed), poison_samples=0.0 if rate == clean_rate else 50.0,
                clean_samples=200.0)
            rows.append((run, seed, setting, metrics))
            run += 1
    with h5py.File(path, "w") as f:
        f.attrs["kind"] = "sweep"
        f.attrs["poisonsim_version"] = "test"
        f.attrs["trace_format"] = np.int32(1)
        f.attrs["scenario"] = "seed: 1\nguard: {type: loss-threshold}\n"
        f.attrs["scenario_file"] = "base.yaml"
        f.attrs["parameters"] = json.dumps(parameters)
        f.attrs["common_sets"] = json.dumps(list(common_sets))
        f.attrs["provenance"] = json.dumps(PROVENANCE)
        f.attrs["complete"] = np.uint8(1)
        f["provenance"] = np.array([(r, b"local", b"testhost", 1.0 + r, 0) for r, _, _, _ in rows],
                                   dtype=[("run", "<i8"), ("worker", "S16"), ("host", "S16"),
                                          ("seconds", "<f8"), ("exit_code", "<i8")])

        def kind(values):
            return "<f8" if all(isinstance(v, (int, float)) for v in values) else "S48"

        fields = [("run", "<i8"), ("status", "S8"), *[(n, kind(axes[n])) for n in names],
                  ("seed", "<f8"), *[(m, "<f8") for m in inputs.SWEEP_METRICS]]
        f["summary"] = np.array([(r, b"ok", *[s[n] for n in names], seed,
                                  *[m[k] for k in inputs.SWEEP_METRICS])
                                 for r, seed, s, m in rows], dtype=fields)
        for r, _, _, _ in rows:
            write_trace(f.create_group(f"runs/{r}"))
        aggregate = []
        for cell, values in enumerate(itertools.product(*axes.values())):
            members = [m for _, _, s, m in rows if tuple(s[n] for n in names) == values]
            for metric in inputs.SWEEP_METRICS:
                v = np.array([m[metric] for m in members])
                sd = v.std(ddof=1) if len(v) > 1 else np.nan
                half = T_975_1 * sd / np.sqrt(len(v)) if len(v) > 1 else np.nan
                quantity = intervals.metric_kind(metric)
                low, high = intervals.bounds(v.mean(), sd, len(v), quantity)
                aggregate.append((cell, *values, metric.encode(), quantity.encode(), len(v), 0,
                                  len(v), v.mean(), sd, T_975_1, half, low, high))
        f["aggregate"] = np.array(aggregate, dtype=[
            ("cell", "<i8"), *[(n, kind(axes[n])) for n in names], ("metric", "S27"),
            ("kind", "S10"), ("runs", "<i8"), ("failed", "<i8"), ("n", "<i8"), ("mean", "<f8"),
            ("sd", "<f8"),
            ("t", "<f8"), ("ci95_half_width", "<f8"), ("ci95_low", "<f8"),
            ("ci95_high", "<f8")])


class LossFigure(ReportTestCase):
    def test_losses_below_the_floor_go_to_a_labelled_underflow_bin(self):
        values = np.array([0.0, 0.0, 5e-6, 0.02, 0.5, 3.0])
        floor = trace_figures.loss_floor(values)
        self.assertEqual(floor, 0.02)  # the smallest loss at or above LOSS_FLOOR
        self.assertEqual(trace_figures.underflow_counts(values, floor), 3)
        path = self.trace()
        with h5py.File(path, "a") as f:
            samples = f["samples"][:]
            samples["loss"][:5] = 0.0  # five clean samples the model fits exactly
            del f["samples"]
            f["samples"] = samples
        page = self.report(path)
        self.assertIn("counted in the hatched underflow bin", page)
        svg = dict(self.embedded(page))["run-loss.png"]
        self.assertIn(b"(underflow)", svg)
        # Over time, the five are triangles on the floor, counted, not a band of dots.
        self.assertIn(b"clean: 5 below 0.053, on the floor", svg)

    def test_without_losses_below_the_floor_there_is_no_underflow_bin(self):
        page = self.report(self.trace())
        self.assertNotIn("underflow", page)


class AccuracySteps(ReportTestCase):
    def test_accuracy_is_a_step_function_held_to_the_end(self):
        import pandas as pd
        fig, ax = plt.subplots()
        evaluations = pd.DataFrame({"time": [0.0, 25.0, 50.0], "accuracy": [0.9, 0.8, 0.85]})
        [line] = trace_figures.step_accuracy(ax, evaluations, 100.0)
        plt.close(fig)
        self.assertEqual(line.get_drawstyle(), "steps-post")
        self.assertEqual(list(line.get_xdata()), [0.0, 25.0, 50.0, 100.0])
        self.assertEqual(list(line.get_ydata())[-1], 0.85)

    def test_baselines_are_drawn_and_named(self):
        baseline = self.trace("clean-run.h5")
        page = self.report(self.trace(), "--baseline", baseline)
        svg = dict(self.embedded(page))["run-accuracy.png"]
        self.assertIn(b"reference: clean-run", svg)
        self.assertIn(b"poison accepted", svg)
        self.assertIn("with the reference runs dashed", page)

    def test_refused_candidates_are_drawn_at_their_test_accuracy(self):
        # The forged run's gate refused the candidate of 50 s, whose test accuracy was 0.68.
        path = self.trace()
        with h5py.File(path, "r") as f:
            trace = inputs.read_trace(f, path)
        refused = trace_figures.refused_candidates(trace.retrains)
        self.assertEqual(list(refused["time"]), [50])
        self.assertEqual(list(refused["test_accuracy_after"]), [0.68])
        page = self.report(path)
        svg = dict(self.embedded(page))["run-accuracy.png"]
        self.assertIn(b"refused candidate's test accuracy", svg)
        self.assertIn("crosses: the clean test accuracy of each candidate the gate refused", page)
        # The y axis reaches down to the refused candidate's 0.68 (evaluations: 0.8 to 0.9).
        self.assertIn(b"<!-- 0.65 -->", svg)

    def test_a_baseline_that_is_not_a_trace_is_named(self):
        write_grid_sweep(self.path("sweep.h5"), {"attackers.0.rate": [0.1, 0.3]})
        code, stderr = self.run_script(self.trace(), "--baseline", self.path("sweep.h5"))
        self.assertEqual(code, 2)
        self.assertEqual(stderr.strip(), f"error: {self.path('sweep.h5')}: --baseline expects "
                                         "a run trace (poisonsim run -o)")


class Formats(ReportTestCase):
    def test_svg_and_pdf_files_are_written(self):
        self.report(self.trace(), "--format", "svg,pdf")
        files = sorted(os.listdir(self.out))
        self.assertEqual(files, ["index.html", "run-accuracy.pdf", "run-accuracy.svg",
                                 "run-loss.pdf", "run-loss.svg"])
        with open(os.path.join(self.out, "run-loss.pdf"), "rb") as f:
            self.assertEqual(f.read(5), b"%PDF-")
        with open(os.path.join(self.out, "run-loss.svg"), "rb") as f:
            self.assertIn(b"<svg", f.read(1000))

    def test_svg_is_the_same_from_run_to_run(self):
        self.report(self.trace(), "--format", "svg")
        with open(os.path.join(self.out, "run-accuracy.svg"), "rb") as f:
            first = f.read()
        self.report(self.trace(), "--format", "svg")
        with open(os.path.join(self.out, "run-accuracy.svg"), "rb") as f:
            self.assertEqual(f.read(), first)

    def test_an_unknown_format_is_named(self):
        code, stderr = self.run_script(self.trace(), "--format", "png,jpeg")
        self.assertEqual(code, 2)
        self.assertTrue(stderr.startswith("error: --format: unknown figure format 'jpeg'"),
                        stderr)


class SweepMaps(ReportTestCase):
    def test_two_numeric_axes_give_a_stress_map_per_facet_with_intervals(self):
        write_grid_sweep(self.path("grid.h5"), {"attackers.0.rate": [0.0, 0.1, 0.3],
                                                "guard.threshold": [1.0, 2.0, 4.0],
                                                "gate.type": ["none", "validation"]},
                         clean_rate=0.0)
        page = self.report(self.path("grid.h5"))
        names = [n for n, _ in self.embedded(page)]
        self.assertIn("grid-stress-map-0.png", names)
        self.assertIn("grid-stress-map-1.png", names)
        self.assertNotIn("grid-dose.png", names)
        self.assertIn("Stress-test map (gate.type = none)", page)
        self.assertIn("the accuracy loss", page)  # a cell without poison is the reference
        svg = dict(self.embedded(page))["grid-stress-map-0.png"]
        self.assertIn(b'id="ci-band-text-', svg)
        # "mean [low, high]" annotations: bounded intervals are not "mean ± half-width".
        self.assertNotIn(b"\xc2\xb1", svg)
        self.assertIn("includes 0 (or has no interval) is light grey, not coloured", page)
        # Rows by the measured poison share (50 of 250 samples), the clean row named as such.
        self.assertIn(b"<!-- 20.0% (0.1) -->", svg)
        self.assertIn(b"<!-- 0 (clean only) -->", svg)
        # refused is 1.5 in every cell (the seeds' mean): no flat panel, the caption says so.
        self.assertNotIn(b"<!-- retrains refused by the gate -->", svg)
        self.assertIn(b"<!-- clean rejection rate -->", svg)
        self.assertIn("Left out as constant over the grid: retrains refused by the gate (1.5 "
                      "everywhere)", page)

    def test_a_loss_whose_interval_includes_zero_is_not_an_effect(self):
        low = np.array([[0.01, -0.015], [np.nan, -0.2]])
        high = np.array([[0.079, 0.079], [np.nan, -0.01]])
        self.assertEqual(sweep_maps.effects(low, high).tolist(), [[True, False], [False, True]])
        # On a map: the reference cell (no poison, loss 0) and a noisy small loss are grey.
        write_grid_sweep(self.path("grid.h5"), {"attackers.0.rate": [0.0, 0.01, 0.3],
                                                "guard.threshold": [2.0, 4.0]},
                         seeds=(1, 2, 3, 4, 5), clean_rate=0.0)
        with h5py.File(self.path("grid.h5"), "r") as f:
            sweep = inputs.read_sweep(f, "grid.h5")
        cells = sweep_maps.sweep_figures.cells(sweep)
        reference = sweep_maps.clean_reference(cells)
        mean, low, high = sweep_maps._grid(cells, "attackers.0.rate", "guard.threshold",
                                           "accuracy_mean", [0.0, 0.01, 0.3], [2.0, 4.0])
        shown = sweep_maps.effects(reference - high, reference - low)
        self.assertFalse(shown[0, 0])  # the reference itself: no loss
        self.assertFalse(shown[1, 0])  # rate 0.01 costs 0.0025, under the seeds' noise (0.01)
        self.assertTrue(shown[2].all())  # rate 0.3 costs 0.075 and more: an effect
        self.assertTrue(shown[0, 1])  # threshold 4 costs 0.1 even without poison

    def test_the_best_threshold_per_row(self):
        grid = np.array([[0.8, 0.9, 0.85], [np.nan, np.nan, np.nan], [0.7, 0.6, 0.75]])
        self.assertEqual(sweep_maps.best_columns(grid), [1, -1, 2])
        write_grid_sweep(self.path("grid.h5"), {"attackers.0.rate": [0.1, 0.3],
                                                "guard.threshold": [1.0, 2.0, 4.0]})
        with h5py.File(self.path("grid.h5"), "r") as f:
            sweep = inputs.read_sweep(f, "grid.h5")
        self.assertEqual(sweep_maps._map_axes(sweep, sweep_maps.numeric_axes(sweep)),
                         ("attackers.0.rate", "guard.threshold"))
        cells = sweep_maps.sweep_figures.cells(sweep)
        self.assertIsNone(sweep_maps.clean_reference(cells))  # every cell saw poison
        mean, _, _ = sweep_maps._grid(cells, "attackers.0.rate", "guard.threshold",
                                      "accuracy_mean", [0.1, 0.3], [1.0, 2.0, 4.0])
        self.assertEqual(sweep_maps.best_columns(mean), [1, 1])  # accuracy peaks at 2

    def test_one_numeric_axis_gives_a_dose_response_with_ci_bands(self):
        write_grid_sweep(self.path("dose.h5"), {"attackers.0.rate": [0.05, 0.1, 0.2, 0.4],
                                                "gate.type": ["none", "validation"]})
        page = self.report(self.path("dose.h5"))
        figures = dict(self.embedded(page))
        self.assertIn("dose-dose.png", figures)
        self.assertNotIn("dose-stress-map-0.png", figures)
        svg = figures["dose-dose.png"]
        # One band per line (two gate types) in each of the three panels.
        self.assertEqual(svg.count(b'id="ci-band-'), 6)
        # The legend's title names the parameter, its entries the values.
        self.assertIn(b"<!-- gate.type", svg)
        self.assertIn(b"<!-- validation -->", svg)
        self.assertNotIn(b"gate.type = validation", svg)
        self.assertIn('<img src="data:image/svg+xml;base64,', page)
        # Dose-response, accuracy vs rate and vs gate type, curves per setting.
        self.assertEqual(page.count('data-compares="1"'), 4)

    def test_dose_panels_share_one_y_axis_and_name_the_methods(self):
        write_grid_sweep(self.path("dose.h5"), {"attackers.0.rate": [0.05, 0.1, 0.2, 0.4],
                                                "attackers": ["[{name: direct}]",
                                                              "[{name: gen}]"]})
        svg = dict(self.embedded(self.report(self.path("dose.h5"))))["dose-dose.png"]
        self.assertIn(b"<!-- direct -->", svg)
        self.assertIn(b"<!-- gen -->", svg)
        self.assertNotIn(b"attackers = ", svg)
        # One y axis: only the left panel writes its tick labels (three would, unshared).
        ticks = [t for t in re.findall(rb"<!-- (0\.\d+) -->", svg)
                 if t not in (b"0.05", b"0.1", b"0.2", b"0.4")]  # those are the x ticks
        self.assertGreaterEqual(len(ticks), 3)
        self.assertEqual(len(ticks), len(set(ticks)), ticks)

    def test_accuracy_ticks_sit_at_the_swept_values(self):
        # Three linear values: matplotlib alone would tick at 1.25 and 1.75 between them.
        write_grid_sweep(self.path("lin.h5"), {"attackers.0.rate": [1.0, 1.5, 2.0]})
        svg = dict(self.embedded(self.report(self.path("lin.h5"))))["lin-accuracy-vs-0.png"]
        for tick in (b"<!-- 1 -->", b"<!-- 1.5 -->", b"<!-- 2 -->"):
            self.assertIn(tick, svg)
        self.assertNotIn(b"<!-- 1.25 -->", svg)
        self.assertNotIn(b"<!-- 1.75 -->", svg)

    def test_a_loss_threshold_carries_its_unit(self):
        from poisonsim.report.setting_labels import with_unit
        self.assertEqual(with_unit("guard.threshold", "guard: {type: adaptive}\n"),
                         "guard.threshold")
        self.assertEqual(with_unit("guard.1.threshold",
                                   "guard: [{type: knn}, {type: loss-threshold}]\n"),
                         "guard.1.threshold (loss, nats)")
        self.assertEqual(with_unit("attackers.0.rate", "guard: {type: loss-threshold}\n"),
                         "attackers.0.rate")
        # The forged sweeps' base scenario has a loss-threshold guard.
        write_grid_sweep(self.path("grid.h5"), {"attackers.0.rate": [0.0, 0.1, 0.3],
                                                "guard.threshold": [1.0, 2.0, 4.0]},
                         clean_rate=0.0)
        figures = dict(self.embedded(self.report(self.path("grid.h5"))))
        for name in ("grid-stress-map-0.png", "grid-accuracy-vs-threshold.png"):
            self.assertTrue(b"<!-- guard.threshold (loss, nats)" in figures[name], name)
        # The ROC's few thresholds: a marker each, named with the unit in the legend.
        self.assertTrue(b"<!-- guard.threshold = 2 nats -->" in figures["grid-roc.png"])

    def test_a_roc_whose_points_crowd_gets_a_zoomed_inset(self):
        # Thresholds 2 to 4: every point within 0.05 of FPR and 0.13 of TPR.
        write_grid_sweep(self.path("near.h5"), {"attackers.0.rate": [0.1, 0.3],
                                                "guard.threshold": [2.0, 3.0, 4.0]})
        page = self.report(self.path("near.h5"))
        self.assertIn(b"<!-- zoom on the points -->", dict(self.embedded(page))["near-roc.png"])
        self.assertIn("The inset enlarges the outlined region", page)
        # Thresholds 1 to 4 spread over 0.3 of TPR: no inset.
        write_grid_sweep(self.path("far.h5"), {"attackers.0.rate": [0.1, 0.3],
                                               "guard.threshold": [1.0, 2.0, 4.0]})
        page = self.report(self.path("far.h5"))
        self.assertNotIn(b"zoom on the points", dict(self.embedded(page))["far-roc.png"])

    def test_attacker_lists_are_named_in_legends_and_kept_whole_in_overrides(self):
        value = ("[{name: direct, type: direct, arrival: {process: poisson, rate: 0.2}}, "
                 "{name: gen, type: generative}]")
        self.assertEqual(sweep_maps.sweep_figures._fmt(value), "[direct, gen]")
        self.assertEqual(sweep_maps.sweep_figures._fmt("[{type: direct}]"), "[{type: direct}]")
        self.assertEqual(sweep_maps.sweep_figures._fmt(0.25), "0.25")
        self.assertEqual(sweep_maps._exact(value), value)

    def test_the_dose_axis_shows_the_measured_poison_share(self):
        frame = pd.DataFrame(
            {"rate": [0.1, 0.1, 0.5, 0.5], "poison_samples": [0, 10, 40, 60],
             "clean_samples": [100, 90, 160, 140]})
        # The cell without poison (a clean reference) does not dilute the share at 0.1.
        self.assertEqual(sweep_maps.poison_shares(frame, "rate"), {0.1: 0.1, 0.5: 0.25})
        self.assertEqual(sweep_maps.poison_shares(frame.drop(columns="clean_samples"), "rate"),
                         {})

    def test_without_seeds_there_are_no_maps(self):
        write_grid_sweep(self.path("one.h5"), {"attackers.0.rate": [0.1, 0.3]}, seeds=(1,))
        with h5py.File(self.path("one.h5"), "a") as f:
            f.attrs["parameters"] = json.dumps(["attackers.0.rate"])
            del f["aggregate"]
        page = self.report(self.path("one.h5"))
        self.assertNotIn("one-dose.png", page)

    def test_each_runs_overrides_are_shown(self):
        write_grid_sweep(self.path("dose.h5"), {"attackers.0.rate": [0.1, 0.3]})
        page = self.report(self.path("dose.h5"))
        self.assertIn("<code>--set duration=40 --set attackers.0.rate=0.3 --set seed=2</code>",
                      page)
        self.assertIn("the --set values <code>duration=40</code>", page)
        with h5py.File(self.path("dose.h5"), "a") as f:
            del f.attrs["common_sets"]
        page = self.report(self.path("dose.h5"))
        self.assertIn("predates common_sets", page)


class CellCurves(ReportTestCase):
    def test_mean_step_curve_over_seeds_with_its_interval(self):
        import pandas as pd
        a = pd.DataFrame({"time": [0.0, 20.0], "accuracy": [0.9, 0.7]})
        b = pd.DataFrame({"time": [0.0, 30.0], "accuracy": [0.8, 0.6]})
        times = np.array([0.0, 10.0, 20.0, 30.0])
        self.assertEqual(list(sweep_curves.held(a, times)), [0.9, 0.9, 0.7, 0.7])
        mean, low, high = sweep_curves.mean_curve([a, b], times)
        np.testing.assert_allclose(mean, [0.85, 0.85, 0.75, 0.65])
        # Two seeds 0.1 apart: the t interval (+-0.635) would leave [0, 1]; the logit one stays.
        expected = [logit_interval(x, y) for x, y in ((0.9, 0.8), (0.9, 0.8), (0.7, 0.8),
                                                      (0.7, 0.6))]
        np.testing.assert_allclose(low, [e[0] for e in expected], rtol=1e-12)
        np.testing.assert_allclose(high, [e[1] for e in expected], rtol=1e-12)
        self.assertTrue((low > 0).all() and (high < 1).all())
        _, low, high = sweep_curves.mean_curve([a], times)  # one run: no interval
        self.assertTrue(np.isnan(low).all() and np.isnan(high).all())

    def test_settings_with_no_poison_are_the_references(self):
        write_grid_sweep(self.path("dose.h5"), {"attackers.0.rate": [0.0, 0.1, 0.3]},
                         clean_rate=0.0)
        page = self.report(self.path("dose.h5"))
        svg = dict(self.embedded(page))["dose-cell-accuracy.png"]
        self.assertIn(b"reference (no poison): attackers.0.rate = 0", svg)
        self.assertEqual(svg.count(b'id="ci-band-'), 3)
        self.assertIn("the references", page)


class Roc(unittest.TestCase):
    def test_auc_and_offline_curve(self):
        self.assertAlmostEqual(roc_curves.auc([0.0], [1.0]), 1.0)
        self.assertAlmostEqual(roc_curves.auc([0.5], [0.5]), 0.5)
        self.assertTrue(np.isnan(roc_curves.auc([float("nan")], [0.3])))
        fpr, tpr = roc_curves.offline([5.0, 4.0, 1.0, 0.5], [1, 1, 0, 0])
        self.assertAlmostEqual(roc_curves.auc(fpr, tpr), 1.0)
        self.assertIsNone(roc_curves.offline([1.0, 2.0], [0, 0]))


class Provenance(ReportTestCase):
    def test_trace_and_sweep_sections_show_their_provenance(self):
        path = self.trace()
        with h5py.File(path, "a") as f:
            f.attrs["provenance"] = json.dumps(PROVENANCE)
            f.attrs["stage_seconds"] = json.dumps({"pretraining": 1.5, "retraining": 2.0})
        write_grid_sweep(self.path("sweep.h5"), {"attackers.0.rate": [0.1, 0.3]})
        page = self.report(path, self.path("sweep.h5"))
        self.assertEqual(page.count('<table class="provenance">'), 2)
        self.assertIn("<td>git commit</td><td>abc1234-dirty</td>", page)
        self.assertIn("<td>command line</td><td>poisonsim run s.yaml</td>", page)
        self.assertIn("<td>threads</td><td>libtorch 2, blas 1</td>", page)
        self.assertIn("pretraining 1.5, retraining 2.0; total 3.5", page)
        # The sweep's runs: 2 rates x 2 seeds taking 1, 2, 3 and 4 s.
        self.assertIn("<td>run wall time (s)</td><td>total 10.0, median 2.5, longest 4.0</td>",
                      page)
        self.assertIn("<td>runs ran on</td><td>testhost</td>", page)

    def test_poison_set_section_shows_its_provenance(self):
        from report_test_support import attack_figures_json, write_poison_set
        write_poison_set(self.path("poison.h5"), attack_figures_json())
        with h5py.File(self.path("poison.h5"), "a") as f:
            f.attrs["provenance"] = json.dumps(PROVENANCE)
        page = self.report(self.path("poison.h5"))
        self.assertEqual(page.count('<table class="provenance">'), 1)
        self.assertIn("<td>host</td><td>testhost</td>", page)

    def test_no_provenance_no_table(self):
        page = self.report(self.trace())
        self.assertNotIn('class="provenance"', page)
        self.assertNotIn("figures loaded", page)  # no test-harness text on the page


if __name__ == "__main__":
    unittest.main()
