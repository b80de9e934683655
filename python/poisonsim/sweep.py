"""A sweep file: its summary, means over seeds, provenance, and each run's trace on demand, and
one table of every finished run joined with its swept parameters (Sweep.table).

Swept parameters are columns named by their key paths, dots included: `summary["guard.threshold"]`
(in `DataFrame.query`, quote them: "`guard.threshold` > 1"). Seeds are int64 wherever this
package shows them (the file stores the summary's parameter columns as float64)."""
import json
import re
from dataclasses import dataclass, field

import numpy as np
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

    def table(self, name, columns=None):
        """One DataFrame of table `name` ("evaluations", "retrains", "events", "samples",
        "defense") of every finished run, in run order: columns `run`, then each swept parameter
        (`seed` an integer), then the table's own (only `columns` of them when given: a samples
        table can be large). Failed runs have no trace and no rows."""
        if not isinstance(name, str) or not name:
            raise InputError(self.path, f"table name must be a non-empty str, got {name!r}")
        if columns is not None and (isinstance(columns, str) or
                                    not all(isinstance(c, str) for c in columns)):
            raise InputError(self.path, f"columns must be a list of column names, got {columns!r}")
        if not self.run_groups:
            raise InputError(self.path, f"has no finished run to read table '{name}' from")
        missing = [p for p in self.parameters if p not in self.summary.columns]
        if missing:
            raise InputError(self.path, f"sweep 'summary' has no column for parameter "
                                        f"{', '.join(missing)}")
        settings = self.summary.set_index("run")[self.parameters]
        parts = []
        with hdf5_io.open_file(self.path) as f:
            for run_id, group in sorted(self.run_groups.items()):
                where = f"{self.path}:/{group}"
                part = hdf5_io.table(f[group], name, where, columns)
                clash = [c for c in ["run", *self.parameters] if c in part.columns]
                if clash:
                    raise InputError(where, f"table '{name}' has columns named like the sweep's "
                                            f"run or parameters ({', '.join(clash)})")
                for position, column in enumerate(["run", *self.parameters]):
                    value = run_id if column == "run" else settings.at[run_id, column]
                    part.insert(position, column, value)
                parts.append(part)
        result = pd.concat(parts, ignore_index=True)
        result["run"] = result["run"].astype(np.int64)
        result.attrs = dict(parts[0].attrs)  # units and descriptions of the table's columns
        return integer_seeds(result)


def attacker_name(attackers):
    """The `name:` of the first attacker in an `attackers` axis value as the summary spells it
    (`[{name: flip, type: label-flip, ...}]` -> "flip"); the value itself when it names none."""
    match = re.search(r"name: ([^,}]+)", attackers)
    return match.group(1).strip() if match else attackers


def integer_seeds(frame):
    """`frame` with its `seed` column (if any) as int64 (Int64 when some are missing)."""
    if "seed" in frame.columns and frame["seed"].dtype.kind == "f":
        seeds = frame["seed"]
        if seeds.notna().all() and (seeds == np.round(seeds)).all():
            frame["seed"] = seeds.astype(np.int64)
        elif (seeds.dropna() == np.round(seeds.dropna())).all():
            frame["seed"] = seeds.astype("Int64")
    return frame


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
    summary = integer_seeds(hdf5_io.table(f, "summary", path))
    if "run" not in summary.columns:
        raise InputError(path, "sweep 'summary' has no column run")
    runs = f["runs"] if "runs" in f else {}
    groups = {int(r): f"runs/{int(r)}" for r in summary["run"] if str(int(r)) in runs}
    optional = {name: integer_seeds(hdf5_io.table(f, name, path)) if name in f else None
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
