#!/bin/bash
# tools/scripts/paper.sh end to end at --quick sizes on real Fashion-MNIST, and on "MNIST" made of the
# same IDX files under MNIST's names (the --mnist path: data.kind=mnist + data.path): both
# tables, the report page with its figures, the poison sets; bad arguments and a data directory
# with missing files exit 2 before any work.
#
# Usage: paper_script_test.sh POISONSIM WORK_DIR
# Exit 77 (ctest: skipped) without Fashion-MNIST, unless POISONSIM_REQUIRE_REAL_DATA is set.
set -euo pipefail
poisonsim=$1
work=$2
root=$(cd "$(dirname "$0")/.." && pwd)
fashion=/usr/share/datasets/fashion-mnist

. "$root/tests/script_test_support.sh"
require "$fashion/train-images-idx3-ubyte.gz" POISONSIM_REQUIRE_REAL_DATA \
  "tools/scripts/setup.sh installs Debian's dataset-fashion-mnist"

rm -rf "$work"
mkdir -p "$work/mnist"
for f in train-images-idx3-ubyte train-labels-idx1-ubyte t10k-images-idx3-ubyte \
  t10k-labels-idx1-ubyte; do
  ln -s "$fashion/$f.gz" "$work/mnist/$f.gz"
done

# Usage errors, bad values and missing data: exit 2 with one line naming the problem, nothing written.
expect_usage_error() {
  local expected=$1
  shift
  set +e
  bash "$root/tools/scripts/paper.sh" --poisonsim "$poisonsim" -o "$work/bad" "$@" 2>"$work/err.txt"
  local code=$?
  set -e
  [ "$code" = 2 ] || fail "tools/scripts/paper.sh $* exited $code, expected 2"
  grep -q -- "$expected" "$work/err.txt" || fail "tools/scripts/paper.sh $*: no '$expected' in $(cat "$work/err.txt")"
  [ ! -e "$work/bad" ] || fail "tools/scripts/paper.sh $* wrote $work/bad"
}
expect_usage_error "unknown argument '--bogus'" --bogus
expect_usage_error "--set seed: expected an integer, got 'x'" --set seed=x
expect_usage_error "--seeds: expected a positive integer, got '0'" --seeds 0
expect_usage_error "$work/none: no such directory" --cifar10 "$work/none"
mkdir -p "$work/empty"
expect_usage_error "$work/empty: missing data_batch_1.bin" --cifar10 "$work/empty"

bash "$root/tools/scripts/paper.sh" --quick --poisonsim "$poisonsim" -o "$work/out" --mnist "$work/mnist" \
  >"$work/stdout.txt" 2>"$work/stderr.txt" || fail "tools/scripts/paper.sh failed: $(tail -20 "$work/stderr.txt")"

table=$work/out/table.md
for heading in "### fashion-mnist" "### mnist"; do
  grep -qx "$heading" "$table" || fail "no '$heading' in $table"
done
# Per data set: nine methods (the direct one per engine) with a ratio to direct g=1 on the
# autograd engine and the guard column, six deployment runs.
[ "$(grep -c '^| direct g=1 autograd | 40 |.* | 1.0x | ' "$table")" = 2 ] ||
  fail "direct g=1 autograd rows in $table"
[ "$(grep -c '^| direct g=1 factored | 40 |.*x | ' "$table")" = 2 ] ||
  fail "direct g=1 factored rows in $table"
[ "$(grep -c '^| generative unrolled | 40 |.*x | 0\.[0-9]* | .*% |$' "$table")" = 2 ] ||
  fail "generative rows (ratio, accuracy, detection) in $table"
[ "$(grep -c 'rejected by loss-threshold 3' "$table")" -ge 2 ] || fail "no guard column in $table"
[ "$(grep -c '^| generative | loss guard + gate | 0\.[0-9]* \[0\.[0-9]*, [01]\.[0-9]*\] | ' "$table")" = 2 ] ||
  fail "deployment rows (means [95% CI] over 2 seeds) in $table"
grep -q -- '--seeds 2`, seeds 1, 2' "$table" || fail "$table does not name its seeds"
grep -q "### fashion-mnist" "$work/stdout.txt" || fail "the tables were not printed"

for name in fashion-mnist mnist; do
  dir=$work/out/$name
  [ "$(ls "$dir"/poison/*.h5 | wc -l)" = 9 ] || fail "$dir/poison: expected 9 poison sets"
  [ "$(ls "$dir"/runs/*.h5 | wc -l)" = 6 ] || fail "$dir/runs: expected 6 seed sweeps"
  [ "$(ls "$dir"/traces/*.h5 | wc -l)" = 6 ] || fail "$dir/traces: expected 6 traces"
  [ ! -e "$dir/runs/generative-defended.h5.parts" ] || fail "$dir/runs: a parts directory is left"
  page=$dir/report/index.html
  [ -s "$page" ] || fail "no $page"
  for figure in direct-group-sizes.png methods.png thresholds-roc.png \
    generative-defended-loss.png generative-defended-accuracy.png \
    direct-g-1-autograd-examples.png; do
    grep -q "id=\"$figure\"" "$page" || fail "$page has no $figure"
  done
done
# The --mnist run read its own directory.
grep -q "path: $work/mnist" "$work/out/mnist/report/index.html" ||
  fail "the mnist report does not show data.path $work/mnist"
echo "PASS"
