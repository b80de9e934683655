"""python/poisonsim/intervals.py against pipeline/trace/confidence_interval.h on the same numbers
(tests/interval_cases.cpp prints C++'s): the report and sweep_table.py recompute intervals, and
must not disagree with `poisonsim inspect --mean-over seed`. POISONSIM_INTERVAL_CASES: the
interval_cases binary."""
import json
import math
import os
import subprocess
import sys
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "python"))
from poisonsim import intervals  # noqa: E402

NAN = float("nan")
CASES = [
    # The issue's: a rate whose t interval passed 1, counts whose went below 0.
    ([1.0, 1.0, 0.99, 0.98, 0.40, 1.0, 0.95, 0.72, 1.0, 0.47], "proportion"),
    ([0, 0, 928], "count"),
    ([0, 1, 3, 1, 2, 0, 3, 1, 0, 2], "count"),
    ([0.80, 0.86], "proportion"),
    ([0.9, 0.7, NAN], "proportion"),
    ([0.01, 0.0, 0.02, 0.0, 0.005], "proportion"),
    ([0.48, 0.50, 0.52, 0.51], "proportion"),
    ([1, 1, 1], "proportion"),
    ([0, 0], "count"),
    ([0.7], "proportion"),
    ([NAN], "count"),
    ([0.032, -0.015, 0.079], "unbounded"),
    ([1e6, 1e6 + 3, 1e6 + 1], "count"),
    ([-1, -3], "count"),
    ([1.5, 1.7], "proportion"),
]
QUANTILES = [[0.975, df] for df in (1, 2, 3, 4, 5, 9, 29, 100, 1e5)] + [[0.995, 3], [0.9, 7]]


def close(a, b, rel=1e-11):
    if a is None or b is None or (isinstance(a, float) and math.isnan(a)):
        return (a is None or math.isnan(a)) and (b is None or math.isnan(b))
    return abs(a - b) <= rel * max(1.0, abs(a), abs(b))


class IntervalsAgree(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        binary = os.environ["POISONSIM_INTERVAL_CASES"]
        request = {"cases": [{"values": [None if isinstance(v, float) and math.isnan(v) else v
                                         for v in values], "kind": kind}
                             for values, kind in CASES],
                   "quantiles": QUANTILES}
        done = subprocess.run([binary], input=json.dumps(request), capture_output=True,
                              text=True, check=True)
        cls.cpp = json.loads(done.stdout)

    def test_t_quantiles(self):
        for (p, df), expected in zip(QUANTILES, self.cpp["quantiles"]):
            self.assertTrue(close(intervals.t_quantile(p, df), expected), (p, df, expected))

    def test_every_case_the_same_interval(self):
        for (values, kind), expected in zip(CASES, self.cpp["cases"]):
            got = intervals.mean_interval(values, kind)
            for key in ("n", "mean", "sd", "low", "high"):
                self.assertTrue(close(got[key], expected[key]), (values, kind, key, got,
                                                                 expected))
            # Python recomputes from an aggregate table's mean, sd and n alone.
            low, high = intervals.bounds(got["mean"], got["sd"], got["n"], kind)
            self.assertTrue(close(low, expected["low"]) and close(high, expected["high"]))

    def test_bounded_by_kind(self):
        for values, kind in CASES:
            got = intervals.mean_interval(values, kind)
            if got["n"] < 2:
                continue
            if kind != "unbounded":
                self.assertGreaterEqual(got["low"], 0.0, values)
            if kind == "proportion":
                self.assertLessEqual(got["high"], 1.0, values)

    def test_metric_kinds_match_run_metric_fields(self):
        self.assertEqual({name: intervals.metric_kind(name) for name in self.cpp["metrics"]},
                         self.cpp["metrics"])

    def test_an_interval_around_zero_is_no_effect(self):
        self.assertFalse(intervals.excludes_zero(-0.015, 0.079))
        self.assertTrue(intervals.excludes_zero(0.01, 0.079))
        self.assertTrue(intervals.excludes_zero(-0.2, -0.01))
        self.assertFalse(intervals.excludes_zero(NAN, NAN))


if __name__ == "__main__":
    unittest.main()
