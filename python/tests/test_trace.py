"""open_trace: names as str, the window column, units, metadata, formats, in-progress files."""
import os
import shutil
import subprocess
import sys

import h5py
import numpy as np
import pytest

import poisonsim
from poisonsim.trace import windows


def test_names_are_str(example_trace):
    trace = poisonsim.open_trace(example_trace)
    assert set(trace.events["kind"]) == {"stream-batch", "poison-batch", "retrain",
                                         "evaluation", "end"}
    assert set(trace.samples["source"]) == {"clean", "label-flip"}
    assert list(trace.retrains["gate"]) == ["allow", "allow", "refuse", "allow"]
    assert trace.tables["events"] is trace.events


def test_a_refusal_carries_its_reason_and_margin(example_trace):
    retrains = poisonsim.open_trace(example_trace).retrains
    assert list(retrains["gate_reason"]) == ["", "", "validation_loss", ""]
    assert retrains["gate_margin"].isna().tolist() == [True, True, False, True]
    assert abs(retrains["gate_margin"][2] - 0.15) < 1e-12  # nats past the 0.05 limit
    assert retrains.attrs["units"]["gate_margin"] == "nats or fraction"


def test_window_is_the_first_retrain_at_or_after_arrival():
    # Arrivals at a retrain's time feed it (they run first); after the last one: -1.
    assert list(windows([0.5, 1.0, 1.5, 2.0, 3.0], [1.0, 2.0])) == [0, 0, 1, 1, -1]
    assert list(windows([1.0], [])) == [-1]


def test_window_column_matches_the_retrains_table(example_trace):
    trace = poisonsim.open_trace(example_trace)
    times = trace.retrains["time"].to_numpy()
    expected = [next(i for i, t in enumerate(times) if t >= s) for s in trace.samples["time"]]
    assert trace.samples["window"].tolist() == expected
    # Samples of one window: everything that arrived since the previous retrain.
    assert trace.samples.groupby("window").size().tolist() == [280, 280, 280, 285]


def test_units_and_descriptions(example_trace):
    trace = poisonsim.open_trace(example_trace)
    for name, table in trace.tables.items():
        assert set(table.attrs["units"]) == set(table.columns), name
        assert all(table.attrs["descriptions"].values()), name
    assert trace.retrains.attrs["units"]["test_accuracy_after"] == "fraction"
    assert trace.samples.attrs["units"]["loss"] == "nats"
    assert trace.events.attrs["units"]["time"] == "s"


def test_metadata_is_parsed(example_trace, tmp_path):
    path = str(tmp_path / "t.h5")
    shutil.copy(example_trace, path)
    with h5py.File(path, "r+") as f:
        f.attrs["provenance"] = '{"host": "h", "threads": {"scoring": 0}}'
    meta = poisonsim.open_trace(path).metadata
    assert meta["scenario"]["duration"] == 100
    assert meta["scenario"]["streams"][0]["name"] == "clean"
    assert meta["provenance"]["threads"]["scoring"] == 0
    assert meta["seed"] == 7 and meta["trace_format"] == 5 and meta["complete"] is True
    assert meta["poisonsim_version"] == "example"


def test_trace_format_1_reads_and_others_do_not(example_trace, tmp_path):
    path = str(tmp_path / "t.h5")
    shutil.copy(example_trace, path)
    with h5py.File(path, "r+") as f:
        f.attrs["trace_format"] = np.int32(1)
    assert len(poisonsim.open_trace(path).retrains) == 4
    with h5py.File(path, "r+") as f:
        f.attrs["trace_format"] = np.int32(6)
    with pytest.raises(poisonsim.InputError, match="trace_format 6 is not supported"):
        poisonsim.open_trace(path)


def test_sample_columns_limit_what_is_read(example_trace):
    samples = poisonsim.open_trace(example_trace, sample_columns=["loss"]).samples
    assert list(samples.columns) == ["time", "loss", "window"]


def test_partial_file_is_read_when_the_trace_is_still_running(example_trace, tmp_path):
    final = str(tmp_path / "run.h5")
    # A writer that died in SWMR mode leaves the file marked as open for writing.
    script = (
        "import h5py, os, sys\n"
        "sys.path.insert(0, sys.argv[3])\n"
        "from conftest import copy_trace\n"
        "dst = h5py.File(sys.argv[2], 'w', libver='latest')\n"
        "copy_trace(h5py.File(sys.argv[1], 'r'), dst)\n"
        "dst.swmr_mode = True\n"
        "dst.flush()\n"
        "os._exit(0)\n")
    subprocess.run([sys.executable, "-c", script, example_trace, final + ".partial",
                    os.path.dirname(os.path.abspath(__file__))], check=True)
    with pytest.raises(OSError):
        h5py.File(final + ".partial", "r")
    trace = poisonsim.open_trace(final)
    assert trace.in_progress and trace.where == final + ".partial"
    assert len(trace.retrains) == 4


def test_a_live_temporary_is_read_before_a_killed_runs_kept_partial(example_trace, tmp_path):
    final = str(tmp_path / "run.h5")
    shutil.copy(example_trace, final + ".partial")  # kept from a killed run
    os.utime(final + ".partial", (1, 1))
    shutil.copy(example_trace, final + ".partial.a1B2c3")  # the run writing now
    os.symlink(example_trace, final + ".partial.zzzzzz")  # never read through a link
    os.utime(final + ".partial.zzzzzz", (2**31, 2**31), follow_symlinks=False)
    assert poisonsim.open_trace(final).where == final + ".partial.a1B2c3"


def test_errors_name_the_file(tmp_path):
    with pytest.raises(poisonsim.InputError, match="no such file"):
        poisonsim.open_trace(str(tmp_path / "missing.h5"))
    text = tmp_path / "notes.h5"
    text.write_text("not HDF5")
    with pytest.raises(poisonsim.InputError, match="cannot open as HDF5"):
        poisonsim.open_trace(str(text))
    with h5py.File(tmp_path / "plain.h5", "w"):
        pass
    with pytest.raises(poisonsim.InputError, match="no 'trace_format' attribute"):
        poisonsim.open_trace(os.path.join(tmp_path, "plain.h5"))


def test_defense_table_has_each_stage_per_window(example_trace):
    trace = poisonsim.open_trace(example_trace)
    assert trace.defense["window"].tolist() == [0, 1, 2, 3]
    assert set(trace.defense["type"]) == {"loss-threshold"}  # names as str
    assert trace.defense["poison_removed"].sum() == 72
    assert trace.metadata["defense_seconds"] == {"1 loss-threshold": 0.25}


def test_a_trace_before_format_4_reads_an_empty_defense_table(example_trace, tmp_path):
    path = str(tmp_path / "t.h5")
    shutil.copy(example_trace, path)
    with h5py.File(path, "r+") as f:
        del f["defense"]
        f.attrs["trace_format"] = np.int32(3)
    trace = poisonsim.open_trace(path)
    assert len(trace.defense) == 0 and "poison_removed" in trace.defense.columns
