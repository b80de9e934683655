"""open_sweep: summary, provenance and aggregate with str names; each run's trace."""
import h5py
import pytest

import poisonsim


def test_summary_and_runs(sweep_file):
    sweep = poisonsim.open_sweep(sweep_file)
    assert sweep.parameters == ["guard.threshold"]
    assert sweep.summary["status"].tolist() == ["ok", "failed"]
    assert sweep.provenance["worker"].tolist() == ["local", "shard 1/2"]
    assert sweep.aggregate is None and sweep.complete
    assert sweep.metadata["provenance"] == {"host": "test-host"}
    assert sweep.run_groups == {0: "runs/0"}
    run = sweep.run(0)
    assert run.where == f"{sweep_file}:/runs/0"
    assert list(run.retrains["gate"]) == ["allow", "allow", "refuse", "allow"]
    assert run.samples["window"].max() == 3
    with pytest.raises(poisonsim.InputError, match="no trace of run 1"):
        sweep.run(1)


def test_a_trace_is_not_a_sweep(example_trace):
    with pytest.raises(poisonsim.InputError, match="not a sweep file"):
        poisonsim.open_sweep(example_trace)


def test_aggregate_metric_names_are_str(sweep_file):
    with h5py.File(sweep_file, "r+") as f:
        f["aggregate"] = __import__("numpy").array(
            [(0, b"accuracy_last", 2, 0.5)],
            dtype=[("cell", "<i8"), ("metric", "S32"), ("n", "<i8"), ("mean", "<f8")])
    aggregate = poisonsim.open_sweep(sweep_file).aggregate
    assert aggregate["metric"].tolist() == ["accuracy_last"]
