"""poisonsim's analysis report: figures and one HTML page from traces, sweeps and poison sets.

Modules, one job each: errors (user-facing failures), inputs (what a file is, reading it),
scenario (facts from the resolved scenario YAML), plotting (matplotlib set-up, saving),
trace_figures, sweep_figures, attack_figures (the figures), html_page (the page), main (CLI).
"""
import os
import sys

# The Python package (python/poisonsim) of this source tree reads the traces and sweeps.
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..",
                                "python"))
