"""Reading poisonsim's outputs as pandas DataFrames (docs/trace-format.md, Reading from Python).

    import poisonsim
    trace = poisonsim.open_trace("run.h5")      # or run.h5.partial, a run in progress
    trace.samples.groupby("window").is_poison.mean()
    sweep = poisonsim.open_sweep("sweep.h5")
    sweep.summary, sweep.aggregate, sweep.run(3).evaluations
    sweep.table("evaluations")                  # every finished run's rows, with run, the
                                                # swept parameters ("guard.threshold") and seed

Names are str, every table's DataFrame has `.attrs["units"]` and `.attrs["descriptions"]`
(column -> text), and `.metadata` holds the scenario and provenance parsed. Seeds are int64;
swept parameters are columns named by their dotted key paths (`df["guard.threshold"]`). Modules: errors,
hdf5_io (opening files, tables as DataFrames), trace, sweep, export (`poisonsim export`).
"""
from poisonsim.errors import InputError
from poisonsim.sweep import Sweep, open_sweep, read_sweep
from poisonsim.trace import Trace, open_trace, read_trace

__all__ = ["InputError", "Sweep", "Trace", "open_sweep", "open_trace", "read_sweep",
           "read_trace"]
