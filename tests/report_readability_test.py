#!/usr/bin/python3
"""Every figure of the report is readable where the page shows it, read from the SVG the page
embeds (svg_text.py): no text under 9 pt at the page's width, no two texts overprinting, the
ROC's points (in the zoomed inset too) labelled with their threshold and unit, and swept values
too close together on a linear axis thinned rather than overprinted. The figures are drawn
from forged traces, sweeps, a poison set and a bench file (report_test_support.py) that give
every kind: run accuracy and losses, ROC with and without inset, accuracy vs a parameter,
dose-response, stress maps (3 and 4 columns, with facets), run curves, attack figures.

Run: cd tests && /usr/bin/python3 -m unittest report_readability_test
(ctest: report_readability_python)
"""
import unittest

import h5py
from matplotlib.figure import Figure

import svg_text
from report_figures_test import write_grid_sweep
from report_test_support import (ReportTestCase, attack_figures_json, bench_json,
                                 write_poison_set)

MIN_RENDERED_PT = 9.0
# Two attackers with long names, side by side as categories: level labels would overprint.
LONG_NAMES = "[{name: direct-victim-aware}, {name: gen-aware}]"


class SvgText(unittest.TestCase):
    def test_the_reader_gets_string_size_and_box_from_matplotlib_svg(self):
        import io
        fig = Figure(figsize=(4, 3))
        ax = fig.add_subplot()
        ax.text(0.1, 0.5, "0.25 nats", fontsize=12)
        ax.text(0.1, 0.52, "hidden", fontsize=7)
        buffer = io.BytesIO()
        fig.savefig(buffer, format="svg")
        found = svg_text.lines(buffer.getvalue())
        by_text = {line.line: line for line in found}
        self.assertAlmostEqual(by_text["0.25 nats"].size, 12)
        self.assertAlmostEqual(by_text["hidden"].size, 7)
        self.assertTrue(by_text["0.25 nats"].axes.startswith("axes_"))
        # 0.25 nats at 12 pt is about 54 pt wide; the two texts 0.02 of 3 in apart overlap.
        box = by_text["0.25 nats"]
        self.assertAlmostEqual(box.x1 - box.x0, 54, delta=6)
        self.assertIn((by_text["0.25 nats"], by_text["hidden"]), svg_text.overlapping(found))
        self.assertEqual(svg_text.rendered_scale(buffer.getvalue()), 1.0)  # 288 pt wide


class Readability(ReportTestCase):
    figures = None  # drawn once for the class: each test reads them

    def pages(self):
        """{figure name: SVG} of reports over inputs that give every kind of figure."""
        if Readability.figures is None:
            Readability.figures = self._draw()
        return Readability.figures

    def _draw(self):
        write_grid_sweep(self.path("grid.h5"), {"attackers.0.rate": [0.0, 0.1, 0.3],
                                                "guard.threshold": [1.0, 2.0, 4.0]},
                         clean_rate=0.0)
        write_grid_sweep(self.path("near.h5"), {"attackers.0.rate": [0.1, 0.3],
                                                "guard.threshold": [2.0, 3.0, 4.0]})
        write_grid_sweep(self.path("wide.h5"), {"attackers.0.rate": [0.0, 0.05, 0.1, 0.2, 0.4],
                                                "guard.threshold": [1.0, 2.0, 4.0, 8.0],
                                                "gate": ["{type: none}", "{type: validation, "
                                                         "max_loss_increase: 0.05}"]},
                         seeds=(1, 2, 3), clean_rate=0.0)
        write_grid_sweep(self.path("dose.h5"), {"attackers.0.rate": [0.1, 0.11, 0.12, 0.4],
                                                "attackers": ["[{name: direct}]",
                                                              "[{name: gen}]", LONG_NAMES,
                                                              LONG_NAMES.replace("aware",
                                                                                 "blind")]})
        write_poison_set(self.path("poison.h5"), attack_figures_json("direct", 1, 2.0))
        bench_json(self.path("bench.json"), engines=("factored", "autograd"))
        run = self.trace()
        with h5py.File(run, "a") as f:  # five clean losses of 0: the underflow bin and its note
            samples = f["samples"][:]
            samples["loss"][:5] = 0.0
            del f["samples"]
            f["samples"] = samples
        figures = {}
        for inputs in ((run, self.path("grid.h5"), self.path("dose.h5")),
                       (self.path("near.h5"), self.path("wide.h5")),
                       (self.path("poison.h5"), self.path("bench.json"))):
            figures.update(self.embedded(self.report(*inputs)))
        return figures

    def test_no_text_under_9_pt_where_the_page_shows_the_figure(self):
        figures = self.pages()
        # 23: with 16 settings the dose sweep has no per-setting curves (8 at most).
        self.assertEqual(len(figures), 23, sorted(figures))
        for name, svg in figures.items():
            found = svg_text.lines(svg)
            self.assertGreater(len(found), 10, name)  # ticks, labels, titles were read
            scale = svg_text.rendered_scale(svg)
            small = sorted({(round(line.size * scale, 2), line.line) for line in found
                            if line.size * scale < MIN_RENDERED_PT})
            self.assertEqual(small, [], f"{name} ({svg_text.width_pt(svg):.0f} pt wide)")

    def test_no_two_texts_overprint(self):
        for name, svg in self.pages().items():
            pairs = [(a.line, b.line) for a, b in svg_text.overlapping(svg_text.lines(svg))]
            self.assertEqual(pairs, [], name)

    def test_legends_are_at_least_9_pt(self):
        figures = self.pages()
        for name, entry in (("run-accuracy.png", "retrain, refused by the gate"),
                            ("run-loss.png", "clean: 5 below 0.053 (underflow)"),
                            ("grid-roc.png", "guard.threshold = 2 nats"),
                            ("dose-dose.png", "gen")):
            sizes = {line.size for line in svg_text.lines(figures[name]) if line.line == entry}
            self.assertTrue(sizes and min(sizes) >= MIN_RENDERED_PT, (name, sizes))

    def test_the_roc_inset_labels_its_points_with_their_threshold_in_nats(self):
        found = svg_text.lines(self.pages()["near-roc.png"])
        [title] = [line for line in found if line.line == "zoom on the points"]
        inset = {line.line for line in found if line.axes == title.axes}
        self.assertTrue({"2 nats", "3 nats", "4 nats"} <= inset, inset)
        # In the square the points crowd: their labels are in the inset only.
        outside = [line.line for line in found
                   if line.axes != title.axes and line.line in ("2 nats", "3 nats", "4 nats")]
        self.assertEqual(outside, [])

    def test_roc_points_are_labelled_with_their_unit_without_an_inset(self):
        found = svg_text.lines(self.pages()["grid-roc.png"])
        self.assertFalse(any(line.line == "zoom on the points" for line in found))
        labels = {line.line for line in found}
        self.assertTrue({"1 nat", "2 nats", "4 nats"} <= labels, labels)

    def test_categories_are_named_and_slanted_when_crowded(self):
        found = svg_text.lines(self.pages()["dose-accuracy-vs-1.png"])
        names = [line for line in found if line.line.startswith("[direct-victim-aware")]
        self.assertEqual(len(names), 1, [line.line for line in found])
        self.assertIn(names[0].line, ("[direct-victim-aware, gen-aware]",))
        self.assertGreater(names[0].y1 - names[0].y0, names[0].size)  # slanted: taller

    def test_close_values_on_a_linear_axis_are_thinned_and_named(self):
        write_grid_sweep(self.path("dose.h5"), {"attackers.0.rate": [0.1, 0.11, 0.12, 0.4],
                                                "attackers": ["[{name: direct}]",
                                                              "[{name: gen}]"]})
        page = self.report(self.path("dose.h5"))
        figures = dict(self.embedded(page))
        # Three panels 3.6 inches wide: 0.11 and 0.12 (with their shares below) would overprint
        # 0.1; the one-panel accuracy figure is wider, where only 0.11 would.
        for name, left_out in (("dose-dose.png", {"0.11", "0.12"}),
                               ("dose-accuracy-vs-0.png", {"0.11"})):
            ticks = {line.line for line in svg_text.lines(figures[name])}
            self.assertTrue({"0.1", "0.4"} <= ticks, (name, ticks))
            self.assertFalse(left_out & ticks, (name, ticks))
            self.assertEqual(svg_text.overlapping(svg_text.lines(figures[name])), [], name)
        self.assertIn("too close to label each on this axis are not ticked: 0.11, 0.12.", page)
        self.assertIn("too close to label each on this axis are not ticked: 0.11.", page)
        # Values far enough apart keep every tick.
        write_grid_sweep(self.path("far.h5"), {"attackers.0.rate": [0.1, 0.2, 0.3, 0.4]})
        page = self.report(self.path("far.h5"))
        ticks = {line.line for line in svg_text.lines(dict(self.embedded(page))["far-dose.png"])}
        self.assertTrue({"0.1", "0.2", "0.3", "0.4"} <= ticks, ticks)
        self.assertNotIn("not ticked", page)


if __name__ == "__main__":
    unittest.main()
