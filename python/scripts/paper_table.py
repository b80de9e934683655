#!/usr/bin/python3
"""The paper-style tables of one data set's tools/scripts/paper.sh output, as Markdown on stdout.

    /usr/bin/python3 python/scripts/paper_table.py runs/paper/fashion-mnist --title Fashion-MNIST

Reads DIR/bench.json (not with --deployments-only) and DIR/runs/<attacker>-<defense>.json. Exit codes: 0 printed, 2 a missing
or malformed input (one line naming the file), 1 a bug.
"""
import argparse
import os
import sys

# The package of this source tree (python/poisonsim), next to this scripts/ folder.
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

try:
    from poisonsim.report.errors import ReportError
    from poisonsim.report.paper_tables import tables
except ImportError as e:
    print(f"error: {sys.executable}: missing Python module {e.name} (run tools/scripts/setup.sh)",
          file=sys.stderr)
    sys.exit(2)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("directory", help="one data set's directory written by tools/scripts/paper.sh")
    parser.add_argument("--title", help="heading (default: the directory's name)")
    parser.add_argument("--deployments-only", action="store_true",
                        help="only the continual-deployment table (paper.sh --deployments-only)")
    args = parser.parse_args()
    if not os.path.isdir(args.directory):
        print(f"error: {args.directory}: no such directory", file=sys.stderr)
        return 2
    title = args.title or os.path.basename(os.path.normpath(args.directory))
    try:
        sys.stdout.write(tables(args.directory, title, args.deployments_only))
    except ReportError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
