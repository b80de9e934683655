"""`poisonsim export`: a trace's (or sweep's) tables as one CSV or Parquet file each.

    /usr/bin/python3 python/poisonsim/export.py TRACE.h5 --format csv -o DIR [--group G] [--force]

Names are decoded, samples get their window column, and metadata.json holds the attributes
(scenario and provenance parsed). Everything is written into a temporary directory beside DIR
and renamed into place, so DIR is complete or absent. Exit codes: 0 written, 2 a bad input.
"""
import argparse
import importlib.util
import json
import os
import shutil
import sys
import tempfile

if __package__ in (None, ""):  # run as a script: import the package from this checkout
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from poisonsim import hdf5_io  # noqa: E402
from poisonsim.errors import InputError  # noqa: E402
from poisonsim.sweep import read_sweep  # noqa: E402
from poisonsim.trace import read_trace  # noqa: E402

FORMATS = ("csv", "parquet")


def _tables(path, group):
    """(tables by name, metadata) of the trace or sweep at `path`."""
    with hdf5_io.open_file(path) as f:
        if group.strip("/") == "" and hdf5_io.text(f.attrs.get("kind", "")) == "sweep":
            sweep = read_sweep(f, path)
            tables = {"summary": sweep.summary, "aggregate": sweep.aggregate,
                      "provenance": sweep.provenance}
            return {k: v for k, v in tables.items() if v is not None}, sweep.metadata
        if group not in f:
            raise InputError(path, f"has no group '{group}'")
        trace = read_trace(f[group], path if group.strip("/") == "" else f"{path}:{group}")
        metadata = {k: v for k, v in trace.metadata.items() if k != "scenario_text"}
        return trace.tables, metadata


def _writer(format_):
    if format_ == "csv":
        return lambda frame, path: frame.to_csv(path, index=False)
    if importlib.util.find_spec("pyarrow") is None:  # pandas writes Parquet through it
        raise InputError(sys.executable, "--format parquet needs pyarrow, which Debian 12 does "
                                         "not package (no python3-pyarrow); use --format csv")
    return lambda frame, path: frame.to_parquet(path, index=False)


def export(path, format_, output, group="/", force=False):
    """Writes DIR/<table>.<format> per table and DIR/metadata.json; returns the file names."""
    write = _writer(format_)
    if os.path.lexists(output) and not force:
        raise InputError(output, "exists (use --force to replace it)")
    tables, metadata = _tables(hdf5_io.resolve(path), group)
    parent = os.path.dirname(os.path.abspath(output))
    if not os.path.isdir(parent):
        raise InputError(output, "its parent directory does not exist")
    staging = tempfile.mkdtemp(prefix=f".{os.path.basename(output)}.", dir=parent)
    try:
        names = []
        for name, frame in tables.items():
            names.append(f"{name}.{format_}")
            write(frame, os.path.join(staging, names[-1]))
        with open(os.path.join(staging, "metadata.json"), "w", encoding="utf-8") as out:
            json.dump(metadata, out, indent=2, default=str)
            out.write("\n")
        names.append("metadata.json")
        os.chmod(staging, 0o755)  # mkdtemp makes it private
        if os.path.lexists(output):  # --force: the old one goes only once the new one exists
            old = tempfile.mkdtemp(prefix=f".{os.path.basename(output)}.old.", dir=parent)
            os.rename(output, os.path.join(old, "x"))
            os.rename(staging, output)
            shutil.rmtree(old)
        else:
            os.rename(staging, output)
        return names
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise


def main(argv=None):
    parser = argparse.ArgumentParser(prog="poisonsim export", description=__doc__.split("\n")[0])
    parser.add_argument("input")
    parser.add_argument("--format", choices=FORMATS, default="csv")
    parser.add_argument("-o", "--output", required=True)
    parser.add_argument("--group", default="/")
    parser.add_argument("--force", action="store_true")
    parser.add_argument("--quiet", action="store_true")
    args = parser.parse_args(argv)
    try:
        names = export(args.input, args.format, args.output, args.group, args.force)
    except InputError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    except OSError as e:
        print(f"error: {e.filename or args.output}: {e.strerror}", file=sys.stderr)
        return 2
    if not args.quiet:
        print(f"wrote {len(names)} files to {args.output}: {', '.join(names)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
