"""Opening poisonsim's HDF5 files and reading their tables as pandas DataFrames."""
import glob
import os

import h5py
import numpy as np
import pandas as pd

from poisonsim.errors import InputError

# Formats this package reads: 2 added retrains.test_accuracy_* and the column attributes, 3
# samples.rejected_by, 4 the defense table and retrains.gate_reason and gate_margin, 5 the
# scores table (docs/trace-format.md).
TRACE_FORMATS = (1, 2, 3, 4, 5)


def text(value):
    """An attribute as str: h5py gives str for variable-length strings, bytes for fixed."""
    return value.decode("utf-8") if isinstance(value, bytes) else str(value)


def plain(value):
    """An attribute as a plain Python value: str for strings, int/float for NumPy scalars."""
    if isinstance(value, (bytes, str)):
        return text(value)
    return value.item() if hasattr(value, "item") else value


def temporaries(path):
    """The regular files a run may be writing `path` under: `path.partial`, and
    `path.partial.XXXXXX` when a killed run's `path.partial` was kept (docs/security.md)."""
    names = [path + ".partial"] + glob.glob(glob.escape(path + ".partial.") + "*")
    return [n for n in names if os.path.isfile(n) and not os.path.islink(n)]


def resolve(path):
    """`path`; when only a run's temporary exists, that (the most recently written one: a live
    writer flushes regularly, a killed run's kept `path.partial` does not)."""
    if not os.path.exists(path) and temporaries(path):
        return max(temporaries(path), key=os.path.getmtime)
    if not os.path.exists(path):
        raise InputError(path, "no such file")
    if os.path.isdir(path):
        raise InputError(path, "is a directory, expected a file")
    return path


def open_file(path):
    """The file read-only. A trace still being written (or left by a run that was killed or
    failed to write) is marked as open for writing, which a plain open refuses: it is then
    read in SWMR mode, as of the writer's last flush."""
    try:
        return h5py.File(path, "r")
    except OSError as plain:
        try:
            return h5py.File(path, "r", swmr=True, libver="latest")
        except OSError:
            raise InputError(path, f"cannot open as HDF5 ({plain})") from None


def check_trace_format(attrs, where):
    if "trace_format" not in attrs:
        raise InputError(where, "no 'trace_format' attribute: not a poisonsim trace")
    format_ = int(attrs["trace_format"])
    if format_ not in TRACE_FORMATS:
        supported = " or ".join(str(f) for f in TRACE_FORMATS)
        raise InputError(where, f"trace_format {format_} is not supported (this reads "
                                f"{supported})")
    return format_


def frame(data, dataset=None):
    """A DataFrame of a compound array; fixed-length byte strings (NUL padded) become str.
    With the dataset, its per-column `<column>.units` / `.description` attributes (trace_format
    2) go to frame.attrs["units"] and frame.attrs["descriptions"]."""
    result = pd.DataFrame(data)
    for column in data.dtype.names:
        if data.dtype[column].kind == "S":
            result[column] = result[column].str.decode("utf-8", errors="replace")
    if dataset is not None:
        attrs = dataset.attrs
        result.attrs["units"] = {c: text(attrs[f"{c}.units"]) for c in data.dtype.names
                                 if f"{c}.units" in attrs}
        result.attrs["descriptions"] = {c: text(attrs[f"{c}.description"])
                                        for c in data.dtype.names if f"{c}.description" in attrs}
    return result


def table(group, name, where, columns=None, optional=()):
    """The table `name` of `group`; only `columns` (and those of `optional` it has) when
    given: the samples table can hold millions of rows."""
    if name not in group or not isinstance(group[name], h5py.Dataset):
        raise InputError(where, f"no '{name}' table (is this a poisonsim file?)")
    dataset = group[name]
    if dataset.dtype.names is None:
        raise InputError(where, f"'{name}' is not a table (no columns)")
    if columns is None:
        return frame(dataset[:], dataset)
    missing = [c for c in columns if c not in dataset.dtype.names]
    if missing:
        raise InputError(where, f"'{name}' has no column {', '.join(missing)}")
    columns = list(columns) + [c for c in optional if c in dataset.dtype.names]
    data = dataset.fields(columns)[:] if len(dataset) else np.zeros(0, dataset.dtype[columns])
    return frame(data, dataset)
