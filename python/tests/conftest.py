"""Fixtures: traces written by tests/write_example_trace (the C++ writer itself), a sweep
file assembled from them with h5py, and a run and a small sweep of the poisonsim binary. ctest
sets POISONSIM_WRITE_EXAMPLE_TRACE and POISONSIM_BINARY (tests/CMakeLists.txt)."""
import json
import os
import subprocess
import sys

import h5py
import numpy as np
import pytest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))


def _tool(variable):
    path = os.environ.get(variable)
    if not path:
        pytest.fail(f"{variable} is not set: run these tests with ctest -R python_package")
    return path


@pytest.fixture(scope="session")
def example_trace(tmp_path_factory):
    path = str(tmp_path_factory.mktemp("traces") / "example.h5")
    subprocess.run([_tool("POISONSIM_WRITE_EXAMPLE_TRACE"), path], check=True)
    return path


@pytest.fixture(scope="session")
def poisonsim_binary():
    return _tool("POISONSIM_BINARY")


SYNTHETIC = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "tests",
                         "scenarios", "synthetic-small.yaml")


@pytest.fixture(scope="session")
def real_trace(tmp_path_factory, poisonsim_binary):
    """A run of the binary: 60 simulated s of the tests' synthetic scenario, samples traced."""
    work = tmp_path_factory.mktemp("run")
    path = str(work / "run.h5")
    subprocess.run([poisonsim_binary, "--log-level", "warn", "run", SYNTHETIC, "--set",
                    "duration=60", "--set", "trace.samples=true", "-o", path, "--quiet"],
                   check=True, env=dict(os.environ, POISONSIM_CACHE_DIR=str(work)))
    return path


@pytest.fixture(scope="session")
def real_sweep(tmp_path_factory, poisonsim_binary):
    """A sweep run by the binary: guard.threshold 1 and 3 x seeds 3 and 4, 60 simulated s of the
    tests' synthetic scenario (about 4 s)."""
    work = tmp_path_factory.mktemp("sweep")
    path = str(work / "thresholds.h5")
    subprocess.run([poisonsim_binary, "--log-level", "warn", "sweep", SYNTHETIC, "--param",
                    "guard.threshold=1,3", "--seeds", "2", "--set", "duration=60", "-o", path,
                    "--quiet"], check=True, env=dict(os.environ, POISONSIM_CACHE_DIR=str(work)))
    return path


@pytest.fixture
def sweep_file(example_trace, tmp_path):
    """Two runs over guard.threshold: run 0 finished (its trace in runs/0), run 1 failed."""
    path = str(tmp_path / "sweep.h5")
    with h5py.File(path, "w") as f, h5py.File(example_trace, "r") as trace:
        f.attrs["kind"] = "sweep"
        f.attrs["scenario"] = "duration: 100\n"
        f.attrs["parameters"] = json.dumps(["guard.threshold"])
        f.attrs["trace_format"] = np.int32(2)
        f.attrs["complete"] = np.uint8(1)
        f.attrs["provenance"] = json.dumps({"host": "test-host"})
        summary = np.array([(0, b"ok", 1.5, 0.9), (1, b"failed", 2.5, np.nan)],
                           dtype=[("run", "<i8"), ("status", "S8"), ("guard.threshold", "<f8"),
                                  ("accuracy_last", "<f8")])
        f["summary"] = summary
        f["provenance"] = np.array([(0, b"local", 1.0), (1, b"shard 1/2", 2.0)],
                                   dtype=[("run", "<i8"), ("worker", "S32"), ("seconds", "<f8")])
        copy_trace(trace, f.create_group("runs/0"))
    return path


def copy_trace(source, group):
    """Attributes and tables, with H5Ocopy as sweep assembly copies runs (it crashed on the
    column attributes while HDF5 kept them in dense storage)."""
    for name, value in source.attrs.items():
        group.attrs[name] = value
    for name in source:
        source.copy(source[name], group, name)
