#!/usr/bin/python3
"""What the report script's tests share (report_script_test, report_attack_test,
report_figures_test): tiny traces, sweeps, poison sets and bench figures forged with h5py in the
trace layout of docs/trace-format.md (columns from check_trace_layout.py), and the test case that
runs the report in a temporary directory.

Importing it puts python/ on sys.path, so the tests then import poisonsim.report.
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
from poisonsim import intervals  # noqa: E402
from poisonsim.report import inputs  # noqa: E402
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
                attack="direct", trace_format=4):
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
            sample_rows.append((t, batch, b"public", 0, 1, 1, loss, 1, 0, 0, 0))
        batch += 1
        if t in (30, 40, 60):
            events.append((t, b"poison-batch", b"mallory", batch, 3, 1, 2))
            for k in range(3):
                loss = 6.0 if k else 1.5
                sample_rows.append((t, batch, b"mallory", 1, 2, 1, loss, 2, int(k > 0), int(k > 0), 0))
            batch += 1
    events.append((100, b"end", b"system", -1, 0, 0, 0))
    group["events"] = table(events, "events")
    group["retrains"] = table([
        (25, 0, 40, 0, 0.0, 0.5, 0.4, 0.9, 0.91, 0.88, 0.9, b"allow", 1, 1, b"", np.nan),
        (50, 1, 40, 2, 0.05, 0.4, 0.9, 0.91, 0.7, 0.9, 0.68, b"refuse", 0, 1,
         b"validation_loss", 0.45),
        (75, 2, 0, 0, 0.0, 0.4, 0.4, 0.91, 0.91, 0.9, 0.9, b"empty", 0, 1, b"", np.nan)],
        "retrains")
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


def logit_interval(a, b):
    """By hand, the 95% interval of the mean of two proportions a != b: the t interval of
    logit(mean) with the delta method's standard error (|a - b| / 2 on the mean), mapped back."""
    mean = (a + b) / 2
    w = T_975_1 * abs(a - b) / 2 / (mean * (1 - mean))
    centre = np.log(mean / (1 - mean))
    return 1 / (1 + np.exp(-(centre - w))), 1 / (1 + np.exp(-(centre + w)))


def write_seeded_sweep(path, aggregate=True, kind=True):
    """Three thresholds x seeds 1, 2 (run 5, threshold 8 seed 2, failed), and the aggregate table
    poisonsim writes: mean, sd and the interval bounded by the metric's kind per threshold and
    metric (poisonsim.intervals, which tests/intervals_agree_test.py holds to C++). kind=False:
    the table of poisonsim before bounded intervals (no `kind`, the plain t interval)."""
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
                low, high = (intervals.bounds(mean, sd, n, intervals.metric_kind(metric)) if kind
                             else (mean - half, mean + half))
                rows.append((cell, threshold, metric.encode(),
                             intervals.metric_kind(metric).encode(), len(members),
                             len(members) - len(ok), n, mean, sd, t, half, low, high))
        fields = [("cell", "<i8"), ("guard.threshold", "<f8"), ("metric", "S27"), ("kind", "S10"),
                  ("runs", "<i8"), ("failed", "<i8"), ("n", "<i8"), ("mean", "<f8"),
                  ("sd", "<f8"), ("t", "<f8"), ("ci95_half_width", "<f8"), ("ci95_low", "<f8"),
                  ("ci95_high", "<f8")]
        table = np.array(rows, dtype=fields)
        if not kind:
            table = table[[name for name, _ in fields if name != "kind"]]
        f["aggregate"] = table


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

