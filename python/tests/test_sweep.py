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


def test_table_joins_each_run_with_its_parameters(real_sweep):
    sweep = poisonsim.open_sweep(real_sweep)
    assert sweep.parameters == ["guard.threshold", "seed"]
    assert sweep.summary["seed"].dtype == "int64"
    table = sweep.table("evaluations")
    assert list(table.columns[:3]) == ["run", "guard.threshold", "seed"]
    assert table["seed"].dtype == "int64" and table["run"].dtype == "int64"
    assert sorted(set(zip(table["guard.threshold"], table["seed"]))) == [
        (1.0, 3), (1.0, 4), (3.0, 3), (3.0, 4)]
    assert table.attrs["units"]["accuracy"] == "fraction"
    for run_id, rows in table.groupby("run"):
        own = sweep.run(run_id).evaluations
        assert rows.drop(columns=["run", "guard.threshold", "seed"]).reset_index(
            drop=True).equals(own)
        setting = sweep.summary.set_index("run").loc[run_id]
        assert (rows["guard.threshold"] == setting["guard.threshold"]).all()
        assert (rows["seed"] == setting["seed"]).all()
    # Dotted names in a query need backquotes (pandas' own syntax).
    assert len(table.query("`guard.threshold` > 2")) == len(table) // 2


def test_table_reads_only_the_columns_asked(real_sweep):
    samples = poisonsim.open_sweep(real_sweep).table("samples", ["time", "rejected"])
    assert list(samples.columns) == ["run", "guard.threshold", "seed", "time", "rejected"]
    assert samples.groupby("guard.threshold").rejected.mean().is_monotonic_decreasing


def test_table_has_no_rows_of_failed_runs(sweep_file):
    table = poisonsim.open_sweep(sweep_file).table("retrains")
    assert set(table["run"]) == {0} and table["guard.threshold"].tolist() == [1.5] * 4


@pytest.mark.parametrize("arguments, message", [
    (("nope",), "runs/0: no 'nope' table"),
    ((3,), "table name must be a non-empty str, got 3"),
    (("samples", "time"), "columns must be a list of column names"),
    (("samples", ["time", "colour"]), "'samples' has no column colour"),
])
def test_table_bad_input(sweep_file, arguments, message):
    with pytest.raises(poisonsim.InputError, match=message):
        poisonsim.open_sweep(sweep_file).table(*arguments)


def test_table_of_a_sweep_without_finished_runs(sweep_file):
    with h5py.File(sweep_file, "r+") as f:
        del f["runs"]
    with pytest.raises(poisonsim.InputError, match="no finished run to read table 'events'"):
        poisonsim.open_sweep(sweep_file).table("events")
