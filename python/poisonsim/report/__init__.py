"""poisonsim.report, the analysis report (`poisonsim report`): figures and one HTML page from traces, sweeps and poison sets.

Modules, one job each: errors (user-facing failures), inputs (what a file is, reading it),
scenario (facts from the resolved scenario YAML), plotting (matplotlib set-up, saving),
trace_figures, sweep_figures, attack_figures (the figures), html_page (the page), main (CLI).
"""
