"""The provenance table of a section: who made the file, with what, on what machine, and where
its wall time went (the root `provenance` and `stage_seconds` attributes, docs/trace-format.md)."""

# (key in the provenance JSON, row name), in the order the table shows them.
FIELDS = (
    ("poisonsim_version", "poisonsim version"),
    ("git_commit", "git commit"),
    ("command_line", "command line"),
    ("host", "host"),
    ("start_time_utc", "start time (UTC)"),
    ("cpu", "CPU"),
    ("instruction_sets", "instruction sets"),
    ("blas", "BLAS"),
    ("blas_kernel", "BLAS kernel"),
    ("libtorch", "LibTorch"),
    ("onednn", "oneDNN"),
    ("onetbb", "oneTBB"),
    ("hdf5", "HDF5"),
    ("threads", "threads"),
)


def _text(value):
    if isinstance(value, list):
        return " ".join(str(v) for v in value)
    if isinstance(value, dict):
        return ", ".join(f"{k} {v}" for k, v in value.items())
    return str(value)


def rows(metadata):
    """(name, value) rows from a trace's or sweep's parsed metadata; [] when it has none."""
    provenance = metadata.get("provenance") or {}
    if not isinstance(provenance, dict):
        return []
    out = [(name, _text(provenance[key])) for key, name in FIELDS
           if key in provenance and provenance[key] not in ("", None, [], {})]
    known = {key for key, _ in FIELDS}
    out += [(key, _text(value)) for key, value in provenance.items()
            if key not in known and value not in ("", None, [], {})]
    stages = metadata.get("stage_seconds")
    if isinstance(stages, dict) and stages:
        total = sum(float(v) for v in stages.values())
        out.append(("wall time by stage (s)",
                    ", ".join(f"{k} {float(v):.1f}" for k, v in stages.items())
                    + f"; total {total:.1f}"))
    return out


def sweep_run_rows(table):
    """Rows summarising a sweep's `provenance` table (who ran each run, how long); [] without."""
    if table is None or not len(table):
        return []
    out = []
    if "host" in table:
        out.append(("runs ran on", ", ".join(sorted(map(str, table["host"].unique())))))
    if "worker" in table:
        workers = sorted(map(str, table["worker"].unique()))
        out.append(("workers", ", ".join(workers[:8]) + (", ..." if len(workers) > 8 else "")))
    if "seconds" in table:
        seconds = table["seconds"].astype(float)
        out.append(("run wall time (s)", f"total {seconds.sum():.1f}, median "
                                         f"{seconds.median():.1f}, longest {seconds.max():.1f}"))
    return out
