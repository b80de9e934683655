#!/usr/bin/python3
"""python/scripts/defense_grid_table.py on grids forged with h5py: the accuracy table, the
buffer-poison table, and the sentence naming the cells where a defense fails (its interval
wholly below its own clean-only interval or the undefended one), for a guard grid and a
sanitizer grid (`--axis sanitize`, where `~` is the run without a sanitizer).

Run: cd tests && /usr/bin/python3 -m unittest defense_grid_table_test   (ctest: defense_grid_table)
"""
import os
import subprocess
import tempfile
import unittest

import h5py
import numpy as np

SCRIPT = os.path.join(os.path.dirname(os.path.abspath(__file__)), os.pardir, "python", "scripts",
                      "defense_grid_table.py")
RATE = "attackers.0.arrival.rate"
NONE = "[{name: none, type: label-flip, start: 1.0e9}]"
FLIP = "[{name: flip, type: label-flip, start: 60}]"


def write_grid(path, axis, cells):
    """cells: (defense, attackers, metric, mean, half-width) -> an aggregate table at rate 1."""
    text = h5py.string_dtype()
    dtype = [("cell", "i8"), (axis, text), ("attackers", text), (RATE, "f8"), ("metric", text),
             ("n", "i8"), ("mean", "f8"), ("ci95_half_width", "f8"), ("ci95_low", "f8"),
             ("ci95_high", "f8")]
    rows = np.array([(i, d, a, 1.0, m, 5, mean, h, mean - h, mean + h)
                     for i, (d, a, m, mean, h) in enumerate(cells)], dtype=dtype)
    with h5py.File(path, "w") as f:
        f.create_dataset("aggregate", data=rows)


def add_runs(path, axis, runs):
    """runs: (defense, attackers, seed, [(stage, kind, clean_seen, clean_removed)]) -> the
    sweep attributes, a summary and each run's defense table, as `poisonsim sweep` writes them."""
    text = h5py.string_dtype()
    summary = np.array([(i, d, a, 1.0, float(seed)) for i, (d, a, seed, _) in enumerate(runs)],
                       dtype=[("run", "i8"), (axis, text), ("attackers", text), (RATE, "f8"),
                              ("seed", "f8")])
    defense = [("time", "f8"), ("window", "i8"), ("stage", "u1"), ("kind", "S16"),
               ("type", "S32"), ("poison_seen", "i8"), ("clean_seen", "i8"),
               ("poison_removed", "i8"), ("clean_removed", "i8")]
    with h5py.File(path, "a") as f:
        f.attrs["kind"] = "sweep"
        f.attrs["parameters"] = f'["{axis}", "attackers", "{RATE}", "seed"]'
        f.attrs["trace_format"] = np.int32(5)
        f.attrs["complete"] = np.uint8(1)
        f.create_dataset("summary", data=summary)
        for i, (_, _, _, stages) in enumerate(runs):
            rows = [(60.0, 0, stage, kind, b"spectral", 0, seen, 0, removed)
                    for stage, kind, seen, removed in stages]
            f.create_dataset(f"runs/{i}/defense", data=np.array(rows, dtype=defense))


def grid_cells(none_value, defended):
    """An undefended row that fails against the flip, and a defense that holds."""
    out = []
    for defense, clean, flipped in ((none_value, 0.85, 0.70), (defended, 0.84, 0.84)):
        out += [(defense, NONE, "accuracy_mean", clean, 0.01),
                (defense, NONE, "false_positive_rate", 0.0, 0.0),
                (defense, NONE, "buffer_poison_fraction_mean", 0.0, 0.0),
                (defense, FLIP, "accuracy_mean", flipped, 0.01),
                (defense, FLIP, "buffer_poison_fraction_mean",
                 0.27 if flipped < 0.8 else 0.0, 0.01)]
    return out


class DefenseGridTable(unittest.TestCase):
    def table(self, axis, cells, *options):
        with tempfile.TemporaryDirectory() as work:
            path = os.path.join(work, "grid.h5")
            write_grid(path, axis, cells)
            return subprocess.run(["/usr/bin/python3", SCRIPT, path, *options],
                                  capture_output=True, text=True)

    def test_a_guard_grid_names_the_cells_where_a_defense_fails(self):
        done = self.table("guard", grid_cells("{type: none}", "{type: knn, k: 10}"))
        self.assertEqual(done.returncode, 0, done.stderr)
        self.assertIn("| {type: none} | 0.8500 ± 0.0100 | 0.0% ± 0.0% | 0.7000 ± 0.0100 |",
                      done.stdout)
        self.assertIn("- {type: none}: fails at flip 33% (below its own), flip 33% (below the "
                      "undefended)", done.stdout)
        self.assertIn("- {type: knn, k: 10}: no cell's interval lies below", done.stdout)
        self.assertIn("| {type: none} | 27.0% ± 1.0% |", done.stdout)  # the buffer table

    def test_a_sanitizer_grid_reads_its_axis_and_calls_the_null_value_none(self):
        done = self.table("sanitize", grid_cells("~", "[{type: per-source}]"), "--axis",
                          "sanitize")
        self.assertEqual(done.returncode, 0, done.stderr)
        self.assertIn("| none | 0.8500 ± 0.0100 |", done.stdout)
        self.assertIn("- none: fails at flip 33%", done.stdout)
        self.assertIn("- [{type: per-source}]: no cell's interval lies below", done.stdout)
        self.assertIn("| [{type: per-source}] | 0.0% ± 1.0% |", done.stdout)

    def test_a_sanitizer_grid_shows_each_defenses_clean_removals_from_the_run_traces(self):
        spectral = "[{type: spectral}]"
        # Seeds 1-3 of spectral removed 1, 2 and 3 of 100 clean samples (a guard stage before it
        # and its second window's rows must not count); the flip's runs are not clean-only.
        runs = [("~", NONE, seed, []) for seed in (1, 2, 3)]
        runs += [(spectral, NONE, seed, [(1, b"guard", 120, 20), (2, b"sanitize", 60, seed),
                                         (2, b"sanitize", 40, 0)]) for seed in (1, 2, 3)]
        runs += [(spectral, FLIP, 1, [(2, b"sanitize", 100, 50)])]
        with tempfile.TemporaryDirectory() as work:
            path = os.path.join(work, "grid.h5")
            write_grid(path, "sanitize", grid_cells("~", spectral))
            add_runs(path, "sanitize", runs)
            done = subprocess.run(["/usr/bin/python3", SCRIPT, path, "--axis", "sanitize"],
                                  capture_output=True, text=True)
        self.assertEqual(done.returncode, 0, done.stderr)
        self.assertIn("| defense | clean-only | clean rejected | clean removed |", done.stdout)
        self.assertIn("| none | 0.8500 ± 0.0100 | 0.0% ± 0.0% | - |", done.stdout)
        # 1%, 2% and 3%: mean 2%, its logit t interval over 3 seeds.
        self.assertIn("| [{type: spectral}] | 0.8400 ± 0.0100 | 0.0% ± 0.0% | "
                      "2.00% [0.57%, 6.76%] |", done.stdout)

    def test_a_sanitizer_grid_joins_a_guard_grid_as_rows_of_one_table(self):
        with tempfile.TemporaryDirectory() as work:
            guards, sanitizers = os.path.join(work, "g.h5"), os.path.join(work, "s.h5")
            write_grid(guards, "guard", grid_cells("{type: none}", "{type: knn, k: 10}"))
            # The sanitizer grid's own undefended row is left out; its trim row fails.
            cells = grid_cells("~", "[{type: trim}]")
            cells = [c if c[0] == "~" or c[1] == NONE or c[2] != "accuracy_mean"
                     else (c[0], c[1], c[2], 0.75, 0.01) for c in cells]
            write_grid(sanitizers, "sanitize", cells)
            done = subprocess.run(["/usr/bin/python3", SCRIPT, guards, "--sanitizers", sanitizers],
                                  capture_output=True, text=True)
        self.assertEqual(done.returncode, 0, done.stderr)
        self.assertIn("| defense | clean-only | clean rejected | clean removed |", done.stdout)
        self.assertIn("| {type: knn, k: 10} | 0.8400 ± 0.0100 |", done.stdout)
        self.assertIn("| sanitize: [{type: trim}] | 0.8400 ± 0.0100 | 0.0% ± 0.0% | - | "
                      "0.7500 ± 0.0100 |", done.stdout)
        self.assertNotIn("| none |", done.stdout)
        self.assertIn("- sanitize: [{type: trim}]: fails at flip 33% (below its own), flip 33% "
                      "(below the undefended)", done.stdout)

    def test_the_wrong_axis_is_one_error_line_and_exit_two(self):
        done = self.table("sanitize", grid_cells("~", "[{type: trim}]"))  # --axis guard
        self.assertEqual(done.returncode, 2)
        self.assertEqual(done.stderr.count("error:"), 1, done.stderr)
        self.assertIn("axes guard, attackers", done.stderr)


if __name__ == "__main__":
    unittest.main()
