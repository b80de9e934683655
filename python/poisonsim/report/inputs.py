"""Reading the report's inputs: what kind a file is, and its contents as pandas/numpy.

Kinds: a run trace (docs/trace-format.md), a sweep file (root attribute kind = "sweep", one
trace per group runs/<id>), a poison set (`poisonsim attack -o`, format attribute), and the JSON
figures of `poisonsim attack --json` / `poisonsim bench attacks --json`.
"""
import json
import os
from dataclasses import dataclass

import h5py
import numpy as np
import poisonsim
from poisonsim import hdf5_io
from poisonsim.hdf5_io import check_trace_format, open_file as open_hdf5, text as _text

from poisonsim.report.errors import ReportError

POISON_SET_FORMAT = "poisonsim-poison-set-1"
# The columns the report reads from the samples table (it can hold millions of rows).
SAMPLE_COLUMNS = ("time", "source", "is_poison", "loss", "rejected")
SWEEP_METRICS = (
    "accuracy_first", "accuracy_last", "accuracy_min", "accuracy_mean", "accuracy_change",
    "retrain_test_change_min", "poison_samples",
    "poison_rejected", "clean_samples", "clean_rejected", "true_positive_rate",
    "false_positive_rate", "poison_accepted_fraction", "buffer_poison_fraction_mean",
    "retrains", "deployed", "refused",
)
SWEEP_PLOTTED = ("accuracy_last", "accuracy_mean", "true_positive_rate", "false_positive_rate")
SEED_AXIS = "seed"
AGGREGATE_COLUMNS = ("cell", "metric", "runs", "failed", "n", "mean", "sd", "ci95_half_width",
                     "ci95_low", "ci95_high")


# Runs and sweeps are read by the Python package (python/poisonsim): the same DataFrames users
# get from open_trace and open_sweep.
Trace = poisonsim.Trace
Sweep = poisonsim.Sweep


@dataclass
class PoisonSet:
    path: str
    method: str
    images: np.ndarray  # N x C x H x W in [0, 1]
    labels: np.ndarray
    seed_images: np.ndarray
    seed_labels: np.ndarray
    figures: dict


@dataclass
class MethodRow:
    """One row of the paper's table: a method's generation rate and potency."""
    source: str
    label: str
    method: str
    n: int
    seconds: float
    samples_per_second: float
    accuracy_before: float
    accuracy_after: float
    accuracy_after_std: float = float("nan")
    accuracy_after_ci95: float = float("nan")  # 95% CI half-width over the shuffles
    group_size: int = None  # direct method only
    engine: str = None  # direct method only: factored or autograd (absent in older JSON)
    objective_by_iteration: list = None  # direct method only, when the JSON has them
    accuracy_by_iteration: list = None
    # The scenario guard's offline detection (bench attacks / attack with a guarded scenario).
    guard: str = None
    guard_threshold: float = float("nan")
    guard_poison_rejected: float = float("nan")
    guard_clean_rejected: float = float("nan")


def read_trace(group, where):
    """A run's trace from the file root or from a sweep's runs/<id> group."""
    # An adaptive guard's per-sample threshold, when recorded, is drawn too.
    return poisonsim.read_trace(group, where, SAMPLE_COLUMNS,
                                optional_sample_columns=("threshold",))


def read_evaluations(group, where):
    """Only a run's accuracy curve (sweeps overlay every run's)."""
    return hdf5_io.table(group, "evaluations", where)


def read_sweep(f, path):
    """The sweep, checked for the columns the report draws."""
    sweep = poisonsim.read_sweep(f, path)
    required = ["run", "status", *sweep.parameters, *SWEEP_PLOTTED]
    missing = [c for c in required if c not in sweep.summary.columns]
    if missing:
        raise ReportError(path, f"sweep 'summary' has no column {', '.join(missing)}")
    if sweep.aggregate is not None:
        required = [*AGGREGATE_COLUMNS, *[p for p in sweep.parameters if p != SEED_AXIS]]
        missing = [c for c in required if c not in sweep.aggregate.columns]
        if missing:
            raise ReportError(path, f"sweep 'aggregate' has no column {', '.join(missing)}")
    return sweep


def read_poison_set(f, path):
    def array(name, ndim):
        if name not in f:
            raise ReportError(path, f"poison set has no '{name}' dataset")
        data = f[name][:]
        if data.ndim != ndim:
            raise ReportError(path, f"'{name}' has {data.ndim} dimensions, expected {ndim}")
        return data

    images, seed_images = array("images", 4), array("seed_images", 4)
    labels, seed_labels = array("labels", 1), array("seed_labels", 1)
    if not (len(images) == len(labels) == len(seed_images) == len(seed_labels)):
        raise ReportError(path, "images, labels, seed_images and seed_labels differ in length")
    try:
        figures = json.loads(_text(f.attrs.get("figures", "{}")))
    except json.JSONDecodeError as e:
        raise ReportError(path, f"attribute 'figures' is not JSON ({e.msg})") from None
    method = _text(f.attrs.get("method", figures.get("method", "?")))
    return PoisonSet(path, method, images, labels, seed_images, seed_labels, figures)


def _group_size(figures):
    """The direct method's group size, the `group_size` field every writer puts in its JSON."""
    value = figures.get("group_size", (figures.get("direct") or {}).get("group_size"))
    return None if value is None else int(value)


def _number(value):
    """JSON null (no threshold, no guard) -> NaN."""
    return float("nan") if value is None else float(value)


def method_row(figures, source):
    """A MethodRow from one method's figures (attack JSON, bench entry, poison set attribute)."""
    try:
        method = str(figures["method"])
        group = _group_size(figures) if method == "direct" else None
        label = figures.get("label") or (f"direct g={group}" if group else method)
        direct = figures.get("direct") or {}
        guard = figures.get("guard") or {}
        return MethodRow(
            source=source, label=str(label), method=method, n=int(figures["n"]),
            seconds=float(figures["seconds"]),
            samples_per_second=float(figures["samples_per_second"]),
            accuracy_before=float(figures["accuracy_before"]),
            accuracy_after=float(figures["accuracy_after"]),
            accuracy_after_std=float(figures.get("accuracy_after_std", float("nan"))),
            accuracy_after_ci95=_number(figures.get("accuracy_after_ci95")),
            group_size=group,
            engine=figures.get("engine") or direct.get("engine"),
            objective_by_iteration=direct.get("objective_by_iteration"),
            accuracy_by_iteration=direct.get("accuracy_by_iteration"),
            guard=guard.get("type"),
            guard_threshold=_number(guard.get("threshold")),
            guard_poison_rejected=_number(guard.get("poison_rejected")),
            guard_clean_rejected=_number(guard.get("clean_rejected")))
    except KeyError as e:
        raise ReportError(source, f"attack figures have no '{e.args[0]}' field") from None
    except (TypeError, ValueError) as e:
        raise ReportError(source, f"attack figures hold a bad value ({e})") from None


def load_json(path):
    """The parsed JSON file; ReportError naming it when it cannot be read or parsed."""
    try:
        with open(path, encoding="utf-8") as f:
            return json.load(f)
    except json.JSONDecodeError as e:
        raise ReportError(path, f"not valid JSON (line {e.lineno}: {e.msg})") from None
    except UnicodeDecodeError:
        raise ReportError(path, "not a text (JSON) file") from None
    except OSError as e:
        raise ReportError(path, f"cannot read ({e.strerror})") from None


def figures_rows(data, path):
    """MethodRows from parsed `poisonsim attack --json` (one) or `bench attacks --json`."""
    if isinstance(data, dict) and data.get("benchmark") == "attacks":
        if not isinstance(data.get("methods"), list):
            raise ReportError(path, "attack benchmark JSON has no 'methods' list")
        return [method_row(m, path) for m in data["methods"]]
    if isinstance(data, dict) and "method" in data and "samples_per_second" in data:
        return [method_row(data, path)]
    raise ReportError(path, "JSON that is neither `poisonsim attack --json` nor "
                            "`poisonsim bench attacks --json` output")


def read_figures_json(path):
    """MethodRows from `poisonsim attack --json` (one) or `poisonsim bench attacks --json`."""
    return figures_rows(load_json(path), path)


def check_file(path):
    if not os.path.exists(path):
        raise ReportError(path, "no such file")
    if os.path.isdir(path):
        raise ReportError(path, "is a directory, expected a file")
    if not os.access(path, os.R_OK):
        raise ReportError(path, "cannot read (permission denied)")


def detect_kind(path):
    """'trace', 'sweep', 'poison-set' or 'json'; ReportError naming the file otherwise."""
    check_file(path)
    if path.lower().endswith(".json"):
        return "json"
    if not h5py.is_hdf5(path):
        raise ReportError(path, "not an HDF5 file (expected a poisonsim trace, sweep or poison "
                                "set, or a .json figures file)")
    with open_hdf5(path) as f:
        if _text(f.attrs.get("kind", "")) == "sweep":
            return "sweep"
        if _text(f.attrs.get("format", "")) == POISON_SET_FORMAT:
            return "poison-set"
        if "trace_format" in f.attrs:
            check_trace_format(f.attrs, path)
            return "trace"
    raise ReportError(path, "an HDF5 file of no known kind (not a poisonsim trace, sweep or "
                            "poison set: no trace_format, kind or format attribute)")
