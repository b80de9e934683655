#!/usr/bin/python3
"""Unit tests of the report (python/poisonsim/report) on attacks: poison sets and `bench attacks`
figures (methods, group sizes, engines), and the paper tables of python/scripts/paper_table.py.
Inputs are forged by report_test_support; runs and sweeps: report_script_test.

Run: cd tests && /usr/bin/python3 -m unittest report_attack_test   (ctest: report_attack_python)
"""
import json
import os
import subprocess
import unittest

from report_test_support import (GUARD, PYTHON_DIR, ReportTestCase, attack_figures_json,
                                 bench_json, write_poison_set)
# report_test_support has put python/ on sys.path.
from poisonsim import intervals  # noqa: E402
from poisonsim.report import attack_figures, inputs, paper_tables  # noqa: E402
from poisonsim.report.errors import ReportError  # noqa: E402


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
                    deployed=9, refused=1, spread=0.01, kinds=True):
    """What `poisonsim inspect SWEEP.h5 --mean-over seed --json` prints of a seeds-only sweep
    (one cell, 5 seeds), the fields the paper tables read; rates without poison are null.
    kinds=False: as poisonsim printed before bounded intervals (no kind, no ci95_low/high)."""
    first, last, lowest = accuracy

    def metric(name, mean, sd=spread):
        out = {"n": 5, "mean": mean, "sd": None if mean is None else sd,
               "ci95_half_width": None if mean is None else 2.776445 * sd / 5 ** 0.5}
        if kinds:
            low, high = (None, None) if mean is None else intervals.bounds(
                mean, sd, 5, intervals.metric_kind(name))
            out.update(kind=intervals.metric_kind(name), ci95_low=low, ci95_high=high)
        return out

    metrics = {"accuracy_first": metric("accuracy_first", first),
               "accuracy_last": metric("accuracy_last", last),
               "accuracy_min": metric("accuracy_min", lowest),
               "accuracy_mean": metric("accuracy_mean", (first + last) / 2),
               "true_positive_rate": metric("true_positive_rate",
                                            poison_rate if poison_rate else None),
               "false_positive_rate": metric("false_positive_rate", clean_rate, 0.002),
               "deployed": metric("deployed", float(deployed), 0.5),
               "refused": metric("refused", float(refused), 0.5)}
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
        # The deployment table: one row per attacker x defense, means over seeds and their 95%
        # intervals (logit scale for rates, counts cut at 0; sd 0.01, 0.002, 0.5 over 5 seeds),
        # rates by ground truth ('-' where no poison came). A clean rate of 0 with sd 0.002 is
        # not a proportion's mean (every value would be 0): its t interval, clamped at 0.
        row = ("| 0.8450 [0.8322, 0.8570] | 0.8500 [0.8372, 0.8620] | 0.8000 [0.7873, 0.8121] | "
               "{} | {} | 9.0 [8.4, 9.6] | 1.0 [0.4, 1.6] |")
        self.assertIn("| direct gradient | loss guard + gate "
                      + row.format("75.0% [73.7%, 76.2%]", "3.0% [2.8%, 3.3%]"), text)
        self.assertIn("| none | none " + row.format("-", "0.0% [0.0%, 0.2%]"), text)
        self.assertIn("--seeds 5`, seeds 1, 2, 3, 4, 5", text)
        self.assertIn("Pretrained accuracy: 0.8400 [0.8272, 0.8520]", text)
        self.assertNotIn("| 0.8450 ±", text)

    def test_json_from_before_bounded_intervals_gets_them(self):
        directory = self.paper_dir()
        seed_means_json(os.path.join(directory, "runs", "none-undefended.json"), kinds=False,
                        accuracy=(0.99, 0.995, 0.99), spread=0.02)
        text = paper_tables.tables(directory, "Toy")
        # t alone: 0.9925 -+ 0.0248 would pass 1; so close to 1 with that spread, the logit
        # interval reaches far down (an outlier seed), never up past 1.
        line = next(x for x in text.splitlines() if x.startswith("| none | none |"))
        self.assertIn("| 0.9925 [0.8248, 0.9997] |", line)

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


if __name__ == "__main__":
    unittest.main()
