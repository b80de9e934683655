#!/usr/bin/env bash
# Issue 23's defense grid in one command: the per-sample guards (scenarios/defense-grid.yaml) and
# the window sanitizers (scenarios/sanitizer-grid.yaml), each against no attacker (the clean-only
# reference), plain and guard-aware label flips, noise, the direct and the generative method, at
# 10% and 35% of the batches, over 5 seeds; then one table of all 12 defenses with 95% intervals,
# the cells where each fails, and the figure.
#   OUT/defense-grid.h5, OUT/sanitizer-grid.h5   the two sweeps (every run's trace inside)
#   OUT/defense-grid-report/, OUT/sanitizer-grid-report/   `poisonsim report` on each
#   OUT/table.md, OUT/defense-grid.png          the combined table and figure
# Every step is an ordinary poisonsim command, printed before it runs. About 100 minutes on 2
# cores (docs/results.md#defense-grid).
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)

usage() {
  cat <<USAGE
usage: tools/scripts/defense_grid.sh [-o OUT] [--seeds N] [-j JOBS] [--poisonsim BIN]

  -o OUT           output directory (default: runs/defense-grid); existing results are replaced
  --seeds N        seeds per cell (default: the scenarios' 5)
  -j JOBS          runs at a time (default: 2)
  --poisonsim BIN  the poisonsim binary (default: build/poisonsim)
USAGE
}

out=runs/defense-grid
seeds=()
jobs=2
poisonsim="$root/build/poisonsim"
while [ $# -gt 0 ]; do
  case "$1" in
    -o) out="${2:?error: -o needs a directory}"; shift 2 ;;
    --seeds) seeds=(--seeds "${2:?error: --seeds needs a number}"); shift 2 ;;
    -j) jobs="${2:?error: -j needs a number}"; shift 2 ;;
    --poisonsim) poisonsim="${2:?error: --poisonsim needs a path}"; shift 2 ;;
    -h|--help) usage; exit 0 ;;
    *) echo "error: unknown option '$1'" >&2; usage >&2; exit 2 ;;
  esac
done
if [ ! -x "$poisonsim" ]; then
  echo "error: $poisonsim: not an executable poisonsim (build it first: tools/scripts/build.sh)" >&2
  exit 2
fi
mkdir -p "$out"

step() { echo "+ $*" >&2; "$@"; }
for grid in defense-grid sanitizer-grid; do
  step "$poisonsim" sweep "$root/scenarios/$grid.yaml" -o "$out/$grid.h5" -j "$jobs" --force \
    ${seeds[@]+"${seeds[@]}"} --report "$out/$grid-report"
done
step /usr/bin/python3 "$root/python/scripts/defense_grid_table.py" "$out/defense-grid.h5" \
  --sanitizers "$out/sanitizer-grid.h5" --figure "$out/defense-grid.png" | tee "$out/table.md"
echo "table: $out/table.md, figure: $out/defense-grid.png" >&2
