"""One run's trace: its tables as DataFrames, the window column, the parsed metadata."""
import json
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import yaml

from poisonsim import hdf5_io
from poisonsim.errors import InputError

TABLES = ("events", "retrains", "evaluations")  # samples is optional
# Each defense stage's ground truth per window: trace_format 4 on (empty for older traces).
DEFENSE_COLUMNS = ("time", "window", "stage", "kind", "type", "poison_seen", "clean_seen",
                   "poison_removed", "clean_removed")
# Scoring stages' score of each sample they judged: trace_format 5 on, with the samples table
# (empty for older traces and runs without it).
SCORE_COLUMNS = ("time", "sample", "stage", "is_poison", "rejected", "score")


@dataclass
class Trace:
    where: str  # the file, or file:/runs/3 for a run of a sweep
    attrs: dict  # the HDF5 attributes as read
    metadata: dict  # the same with scenario, provenance and stage_seconds parsed
    events: pd.DataFrame
    retrains: pd.DataFrame
    evaluations: pd.DataFrame
    samples: pd.DataFrame = None  # None when the run had trace.samples off
    in_progress: bool = False  # read in SWMR mode: the run may still be writing
    tables: dict = field(default_factory=dict)  # name -> DataFrame, the tables above
    defense: pd.DataFrame = None  # per window and stage, by ground truth (empty before format 4)
    scores: pd.DataFrame = None  # scoring stages' per-sample scores (empty before format 5)

    @property
    def scenario_text(self):
        return self.metadata["scenario_text"]

    @property
    def duration(self):
        """Simulated seconds: the end event's time (the last event's while running)."""
        return float(self.events["time"].max()) if len(self.events) else 0.0


def windows(sample_times, retrain_times):
    """For each sample, the index of the retrain its buffer fed: the first retrain at or after
    its arrival (arrivals run before a retrain at the same time), -1 when none came before the
    trace's end. Not stored: a sample is written before it is known whether a retrain follows."""
    retrain_times = np.asarray(retrain_times, dtype=float)
    index = np.searchsorted(retrain_times, np.asarray(sample_times, dtype=float), side="left")
    return np.where(index < len(retrain_times), index, -1).astype(np.int64)


def _json(attrs, name, where):
    value = hdf5_io.text(attrs.get(name, ""))
    if not value:
        return None
    try:
        return json.loads(value)
    except json.JSONDecodeError as e:
        raise InputError(where, f"attribute '{name}' is not JSON ({e.msg})") from None


def parse_provenance(attrs, where):
    """The provenance attribute's JSON object (None in files older than 0.3.0)."""
    return _json(attrs, "provenance", where)


def parse_metadata(attrs, where):
    """Attributes with str values, and scenario (dict), provenance, stage_seconds parsed."""
    meta = {name: hdf5_io.plain(value) for name, value in attrs.items()}
    text = meta.get("scenario")
    if text is None:
        raise InputError(where, "no 'scenario' attribute (the resolved scenario YAML)")
    try:
        meta["scenario"] = yaml.safe_load(text)
    except yaml.YAMLError as e:
        raise InputError(where, f"attribute 'scenario' is not YAML ({e})") from None
    meta["scenario_text"] = text
    meta["provenance"] = parse_provenance(attrs, where)
    meta["stage_seconds"] = _json(attrs, "stage_seconds", where)
    meta["defense_seconds"] = _json(attrs, "defense_seconds", where)
    meta["complete"] = bool(meta.get("complete", 0))
    meta.setdefault("stopped", "")
    return meta


def read_trace(group, where, sample_columns=None, optional_sample_columns=()):
    """A run's trace from an open file's root or a sweep's runs/<id> group. `sample_columns`
    limits what is read of the samples table (time is always read, for the window)."""
    attrs = dict(group.attrs)
    hdf5_io.check_trace_format(attrs, where)
    tables = {name: hdf5_io.table(group, name, where) for name in TABLES}
    samples = None
    if "samples" in group:
        columns = None
        if sample_columns is not None:
            columns = ["time"] + [c for c in sample_columns if c != "time"]
        samples = hdf5_io.table(group, "samples", where, columns, optional_sample_columns)
        samples["window"] = windows(samples["time"], tables["retrains"]["time"])
        samples.attrs.setdefault("units", {})["window"] = ""
        samples.attrs.setdefault("descriptions", {})["window"] = (
            "index of the retrain its buffer fed (-1: none before the end); computed on reading")
        tables["samples"] = samples
    if "defense" in group:
        tables["defense"] = hdf5_io.table(group, "defense", where)
    else:
        tables["defense"] = pd.DataFrame({c: [] for c in DEFENSE_COLUMNS})
    if "scores" in group:
        tables["scores"] = hdf5_io.table(group, "scores", where)
    else:
        tables["scores"] = pd.DataFrame({c: [] for c in SCORE_COLUMNS})
    swmr = bool(getattr(group.file, "swmr_mode", False))
    return Trace(where, attrs, parse_metadata(attrs, where), tables["events"],
                 tables["retrains"], tables["evaluations"], samples, swmr, tables,
                 tables["defense"], tables["scores"])


def open_trace(path, group="/", sample_columns=None):
    """The trace at `path` (`path.partial` while its run writes it); `group` names a run in a
    sweep file, e.g. "/runs/3"."""
    path = hdf5_io.resolve(path)
    with hdf5_io.open_file(path) as f:
        if group not in f:
            raise InputError(path, f"has no group '{group}'")
        where = path if group.strip("/") == "" else f"{path}:{group}"
        return read_trace(f[group], where, sample_columns)
