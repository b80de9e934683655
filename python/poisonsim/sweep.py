"""A sweep file: its summary, means over seeds, provenance, and each run's trace on demand."""
import json
from dataclasses import dataclass, field

import pandas as pd

from poisonsim import hdf5_io
from poisonsim.errors import InputError
from poisonsim.trace import parse_provenance, read_trace


@dataclass
class Sweep:
    path: str
    attrs: dict  # the root's HDF5 attributes as read
    scenario_text: str  # the base scenario as written
    parameters: list  # the swept key paths, e.g. ["guard.threshold", "seed"]
    complete: bool
    summary: pd.DataFrame  # one row per run
    run_groups: dict = field(default_factory=dict)  # run id -> group path, finished runs only
    aggregate: pd.DataFrame = None  # means over seeds; None without a seed axis (or older)
    provenance: pd.DataFrame = None  # who ran each run; None in older sweep files
    metadata: dict = field(default_factory=dict)  # attributes, provenance and parameters parsed

    def run(self, run_id, sample_columns=None):
        """Run `run_id`'s Trace, read from its runs/<id> group."""
        group = self.run_groups.get(int(run_id))
        if group is None:
            raise InputError(self.path, f"has no trace of run {run_id} (failed or unknown)")
        with hdf5_io.open_file(self.path) as f:
            return read_trace(f[group], f"{self.path}:/{group}", sample_columns)


def read_sweep(f, path):
    """The sweep in the open file `f` (named `path` in errors)."""
    attrs = dict(f.attrs)
    if hdf5_io.text(attrs.get("kind", "")) != "sweep":
        raise InputError(path, "not a sweep file (no root attribute kind = \"sweep\")")
    try:
        parameters = json.loads(hdf5_io.text(attrs.get("parameters", "")))
    except json.JSONDecodeError as e:
        raise InputError(path, f"sweep attribute 'parameters' is not JSON ({e.msg})") from None
    if not isinstance(parameters, list) or not all(isinstance(p, str) for p in parameters):
        raise InputError(path, "sweep attribute 'parameters' must be a JSON list of key paths")
    summary = hdf5_io.table(f, "summary", path)
    if "run" not in summary.columns:
        raise InputError(path, "sweep 'summary' has no column run")
    runs = f["runs"] if "runs" in f else {}
    groups = {int(r): f"runs/{int(r)}" for r in summary["run"] if str(int(r)) in runs}
    optional = {name: hdf5_io.table(f, name, path) if name in f else None
                for name in ("aggregate", "provenance")}
    metadata = {name: hdf5_io.plain(value) for name, value in attrs.items()}
    metadata["provenance"] = parse_provenance(attrs, path)
    metadata["parameters"] = parameters
    return Sweep(path, attrs, hdf5_io.text(attrs.get("scenario", "")), parameters,
                 bool(int(attrs.get("complete", 0))), summary, groups, optional["aggregate"],
                 optional["provenance"], metadata)


def open_sweep(path):
    """The sweep file at `path`; runs are read when asked for (Sweep.run)."""
    path = hdf5_io.resolve(path)
    with hdf5_io.open_file(path) as f:
        return read_sweep(f, path)
