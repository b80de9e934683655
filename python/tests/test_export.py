"""`poisonsim export` and python/poisonsim/export.py: files per table, decoded, atomic."""
import json
import os
import subprocess

import pandas as pd
import pytest

import poisonsim
from poisonsim.export import export


def test_csv_has_a_file_per_table_with_text_names(example_trace, tmp_path):
    out = str(tmp_path / "csv")
    names = export(example_trace, "csv", out)
    assert sorted(names) == sorted(os.listdir(out))
    assert set(names) == {"events.csv", "samples.csv", "retrains.csv", "evaluations.csv",
                          "defense.csv", "scores.csv", "metadata.json"}
    samples = pd.read_csv(os.path.join(out, "samples.csv"))
    trace = poisonsim.open_trace(example_trace)
    assert samples["source"].tolist() == trace.samples["source"].tolist()
    assert samples["window"].tolist() == trace.samples["window"].tolist()
    retrains = pd.read_csv(os.path.join(out, "retrains.csv"))
    assert retrains["gate"].tolist() == ["allow", "allow", "refuse", "allow"]
    with open(os.path.join(out, "metadata.json"), encoding="utf-8") as f:
        meta = json.load(f)
    assert meta["scenario"]["duration"] == 100 and meta["trace_format"] == 5


def test_a_sweep_exports_its_own_tables(sweep_file, tmp_path):
    out = str(tmp_path / "sweep-csv")
    names = export(sweep_file, "csv", out)
    assert set(names) == {"summary.csv", "provenance.csv", "metadata.json"}
    assert pd.read_csv(os.path.join(out, "summary.csv"))["status"].tolist() == ["ok", "failed"]
    with open(os.path.join(out, "metadata.json"), encoding="utf-8") as f:
        meta = json.load(f)
    assert meta["parameters"] == ["guard.threshold"] and meta["trace_format"] == 2
    run = str(tmp_path / "run-csv")
    export(sweep_file, "csv", run, group="/runs/0")
    assert pd.read_csv(os.path.join(run, "samples.csv"))["window"].max() == 3


def test_existing_output_is_kept_unless_forced(example_trace, tmp_path):
    out = tmp_path / "csv"
    out.mkdir()
    (out / "mine.txt").write_text("keep")
    with pytest.raises(poisonsim.InputError, match="exists"):
        export(example_trace, "csv", str(out))
    assert (out / "mine.txt").exists()
    export(example_trace, "csv", str(out), force=True)
    assert not (out / "mine.txt").exists() and (out / "events.csv").exists()
    assert [p for p in os.listdir(tmp_path) if p.startswith(".")] == []  # no staging left


def test_parquet_needs_pyarrow(example_trace, tmp_path):
    out = str(tmp_path / "parquet")
    try:
        import pyarrow  # noqa: F401
    except ImportError:
        with pytest.raises(poisonsim.InputError, match="needs pyarrow"):
            export(example_trace, "parquet", out)
        assert not os.path.exists(out)
        return
    export(example_trace, "parquet", out)
    assert pd.read_parquet(os.path.join(out, "samples.parquet"))["window"].max() == 3


def run_cli(binary, *args):
    return subprocess.run([binary, "export", *args], capture_output=True, text=True)


def test_cli_writes_beside_the_trace_by_default(poisonsim_binary, example_trace, tmp_path):
    trace = str(tmp_path / "run.h5")
    with open(example_trace, "rb") as src, open(trace, "wb") as dst:
        dst.write(src.read())
    result = run_cli(poisonsim_binary, trace, "--format", "csv")
    assert result.returncode == 0, result.stderr
    assert os.path.exists(str(tmp_path / "run-csv" / "events.csv"))


@pytest.mark.parametrize("args, message", [
    (["missing.h5"], "missing.h5: no such file"),
    (["{trace}", "--format", "xls"], "--format: xls not in {csv,parquet}"),
    (["{trace}", "--group", "/runs/9", "-o", "{out}"], "has no group '/runs/9'"),
])
def test_cli_errors_are_one_line_exit_2(poisonsim_binary, example_trace, tmp_path, args,
                                        message):
    args = [a.format(trace=example_trace, out=tmp_path / "x") for a in args]
    result = run_cli(poisonsim_binary, *args)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and message in lines[0], lines
    assert not os.path.exists(tmp_path / "x")
