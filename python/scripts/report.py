#!/usr/bin/python3
"""poisonsim's analysis report: `poisonsim report INPUT... -o DIR` runs this script.

Needs Debian's python3-h5py, python3-matplotlib, python3-pandas and python3-yaml
(tools/scripts/setup.sh installs them). Exit codes: 0 written, 2 a bad input or option, 1 a bug.
"""
import os
import sys

# Before h5py loads HDF5: a file still being written without SWMR (a sweep file being assembled,
# a trace of poisonsim 0.3.0) holds HDF5's file lock, and the report only reads.
os.environ.setdefault("HDF5_USE_FILE_LOCKING", "FALSE")
# The package of this source tree (python/poisonsim), next to this scripts/ folder.
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

try:
    from poisonsim.report.main import main
except ImportError as e:
    print(f"error: {sys.executable}: missing Python module {e.name} "
          "(run tools/scripts/setup.sh to install python3-h5py, python3-matplotlib, python3-pandas "
          "and python3-yaml)", file=sys.stderr)
    sys.exit(2)

if __name__ == "__main__":
    sys.exit(main())
