#!/usr/bin/python3
"""Checks that a poisonsim trace reads with h5py and pandas as docs/trace-format.md documents.

Usage: check_trace_layout.py [--swmr] TRACE.h5 [GROUP]   (GROUP: a run in a sweep file, e.g.
/runs/3). --swmr opens it the way a trace in progress (or left by a run that failed or was
killed) must be opened: h5py.File(path, "r", swmr=True, libver="latest").
Prints one OK line, or fails with an AssertionError saying what differs.
"""
import sys

import h5py
import numpy as np
import pandas as pd

TRACE_FORMAT = 5

# table -> [(column, numpy dtype)], in file order (docs/trace-format.md).
COLUMNS = {
    "events": [
        ("time", "<f8"), ("kind", "S16"), ("source", "S32"), ("batch_id", "<i8"),
        ("size", "<i8"), ("accepted", "<i8"), ("rejected", "<i8"),
    ],
    "samples": [
        ("time", "<f8"), ("batch_id", "<i8"), ("source", "S32"), ("is_poison", "u1"),
        ("label", "<i8"), ("true_label", "<i8"), ("loss", "<f4"), ("prediction", "<i8"),
        ("rejected", "u1"), ("rejected_by", "u1"), ("model_version", "<i8"),
    ],
    "retrains": [
        ("time", "<f8"), ("index", "<i8"), ("buffer_size", "<i8"), ("poison_in_buffer", "<i8"),
        ("poison_fraction", "<f8"), ("validation_loss_before", "<f8"),
        ("validation_loss_after", "<f8"), ("validation_accuracy_before", "<f8"),
        ("validation_accuracy_after", "<f8"), ("test_accuracy_before", "<f8"),
        ("test_accuracy_after", "<f8"), ("gate", "S16"), ("deployed", "u1"),
        ("model_version", "<i8"), ("gate_reason", "S32"), ("gate_margin", "<f8"),
    ],
    "evaluations": [
        ("time", "<f8"), ("model_version", "<i8"), ("accuracy", "<f8"), ("loss", "<f8"),
        ("samples", "<i8"),
    ],
    "defense": [
        ("time", "<f8"), ("window", "<i8"), ("stage", "u1"), ("kind", "S16"), ("type", "S32"),
        ("poison_seen", "<i8"), ("clean_seen", "<i8"), ("poison_removed", "<i8"),
        ("clean_removed", "<i8"),
    ],
    "scores": [
        ("time", "<f8"), ("sample", "<i8"), ("stage", "u1"), ("is_poison", "u1"),
        ("rejected", "u1"), ("score", "<f4"),
    ],
}
OPTIONAL = {"samples", "scores"}
STRING_COLUMNS = {"kind", "source", "gate", "gate_reason", "type"}
# gate_margin's unit is that of the limit its row's gate_reason names.
UNITS = {"", "s", "samples", "nats", "fraction", "nats or fraction"}


def check_attributes(where, attrs):
    for name in ("scenario", "seed", "poisonsim_version", "trace_format", "complete"):
        assert name in attrs, f"{where}: attribute {name!r} missing"
    assert isinstance(attrs["scenario"], str), f"scenario is {type(attrs['scenario'])}, not str"
    assert isinstance(attrs["poisonsim_version"], str), "poisonsim_version is not str"
    assert np.issubdtype(type(attrs["seed"]), np.unsignedinteger), "seed is not unsigned"
    assert int(attrs["trace_format"]) == TRACE_FORMAT, f"trace_format {attrs['trace_format']}"
    assert int(attrs["complete"]) in (0, 1), f"complete is {attrs['complete']}"
    for name in ("stage_seconds", "stopped", "defense_seconds"):  # empty until the run ends (absent in older traces)
        assert isinstance(attrs.get(name, ""), str), f"{name} is not str"


def check_table(where, group, name):
    dataset = group[name]
    expected = COLUMNS[name]
    assert dataset.ndim == 1, f"{where}/{name}: {dataset.ndim}-D, expected 1-D"
    names = list(dataset.dtype.names)
    assert names == [c for c, _ in expected], f"{where}/{name}: columns {names}"
    for column, dtype in expected:
        actual = dataset.dtype.fields[column][0]
        assert actual == np.dtype(dtype), f"{where}/{name}.{column}: {actual}, expected {dtype}"
        units = dataset.attrs[f"{column}.units"]
        assert isinstance(units, str) and units in UNITS, f"{where}/{name}.{column}: {units!r}"
        description = dataset.attrs[f"{column}.description"]
        assert isinstance(description, str) and description, f"{where}/{name}.{column}: no text"

    df = pd.DataFrame(dataset[:])
    assert list(df.columns) == names, f"{where}/{name}: DataFrame columns {list(df.columns)}"
    for column in STRING_COLUMNS.intersection(names):
        decoded = df[column].str.decode("utf-8")
        assert all(isinstance(v, str) for v in decoded), f"{where}/{name}.{column}: not text"
    for column, dtype in expected:
        if column not in STRING_COLUMNS:
            assert df[column].dtype == np.dtype(dtype), f"{where}/{name}.{column} in pandas"
    # Rows are appended in simulation order.
    assert df["time"].is_monotonic_increasing, f"{where}/{name}: time goes backwards"
    return len(df)


def main():
    args = sys.argv[1:]
    swmr = bool(args) and args[0] == "--swmr"
    args = args[1:] if swmr else args
    if len(args) not in (1, 2):
        sys.exit(__doc__)
    path = args[0]
    group_path = args[1] if len(args) == 2 else "/"
    options = {"swmr": True, "libver": "latest"} if swmr else {}
    with h5py.File(path, "r", **options) as f:
        group = f[group_path]
        where = path if group_path == "/" else f"{path}:{group_path}"
        check_attributes(where, group.attrs)
        rows = {}
        for name in COLUMNS:
            if name not in group:
                assert name in OPTIONAL, f"{where}: table {name!r} missing"
                rows[name] = "off"
                continue
            rows[name] = check_table(where, group, name)
        summary = " ".join(f"{name}={count}" for name, count in rows.items())
        print(f"OK {where}: trace_format {TRACE_FORMAT}, seed {group.attrs['seed']}, "
              f"complete {int(group.attrs['complete'])}, {summary}")


if __name__ == "__main__":
    main()
