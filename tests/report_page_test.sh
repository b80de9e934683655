#!/bin/sh
# The report chain end to end: `poisonsim run` (and a clean reference run for --baseline), two
# seeded `poisonsim sweep`s on a small scenario, `poisonsim report --format png,svg,pdf` on
# them, then the page opened in headless Chromium, which must load every figure, and every
# figure comparing settings must hold 95% CI bands. The page counts loaded and broken images,
# and the CI elements (ids ci-band-...) of each embedded SVG, into #image-check on load
# (python/poisonsim/report/html_page.py); a copy with one broken image first shows that the count
# does catch failures.
#
# Usage: report_page_test.sh POISONSIM SCENARIO WORK_DIR
# Exit 77 (ctest: skipped) when Chromium is missing, unless CI is set: then it fails.
set -eu
poisonsim=$1
scenario=$2
work=$3
chromium=/usr/bin/chromium

. "$(dirname "$0")/script_test_support.sh"
require "$chromium" CI "tools/scripts/setup.sh installs Debian's chromium"

rm -rf "$work"
mkdir -p "$work"

# Prints "total loaded failed" of the page's image check, as Chromium ran it.
image_check() {
  timeout 120 "$chromium" --headless=new --no-sandbox --disable-gpu --no-first-run \
    --user-data-dir="$work/chromium-profile" --virtual-time-budget=5000 --dump-dom \
    "file://$1" 2>"$work/chromium.log" >"$work/dom.html" ||
    fail "chromium failed on $1 (see $work/chromium.log)"
  tag=$(grep -o '<div id="image-check"[^>]*>' "$work/dom.html") ||
    fail "no #image-check element in the DOM Chromium dumped for $1"
  for name in total loaded failed ci-bands compares compares-with-bands; do
    value=$(echo "$tag" | sed -n "s/.*data-$name=\"\([0-9]*\)\".*/\1/p")
    [ -n "$value" ] || fail "the image check did not run in $1 (element: $tag)"
    printf '%s ' "$value"
  done
}

POISONSIM_CACHE_DIR="$work/cache" "$poisonsim" --log-level warn run "$scenario" \
  -o "$work/run.h5" --force --quiet --set duration=40 >/dev/null
POISONSIM_CACHE_DIR="$work/cache" "$poisonsim" --log-level warn run "$scenario" \
  -o "$work/clean.h5" --force --quiet --set duration=40 --set 'attackers=[]' >/dev/null
# Seeded sweeps, so the figures that compare settings show means with 95% CI bands: two
# numeric axes (ROC, accuracy vs threshold, a stress-test map) and one (dose-response).
POISONSIM_CACHE_DIR="$work/cache" "$poisonsim" --log-level warn sweep "$scenario" -j 1 \
  --param guard.threshold=1,3 --param attackers.0.arrival.rate=0.3,1 --seeds 2 \
  -o "$work/sweep.h5" --force --quiet --set duration=40 >/dev/null
POISONSIM_CACHE_DIR="$work/cache" "$poisonsim" --log-level warn sweep "$scenario" -j 1 \
  --param attackers.0.arrival.rate=0.3,1 --seeds 2 \
  -o "$work/dose.h5" --force --quiet --set duration=40 >/dev/null
"$poisonsim" report "$work/run.h5" "$work/sweep.h5" "$work/dose.h5" --baseline "$work/clean.h5" \
  --format png,svg,pdf -o "$work/report" >"$work/report.out" 2>"$work/report.err" ||
  fail "poisonsim report exited $?: $(cat "$work/report.err")"
grep -q "report written to $work/report/index.html" "$work/report.out" ||
  fail "poisonsim report did not say where the page is: $(cat "$work/report.out")"
figures="run-accuracy run-loss sweep-roc sweep-accuracy-vs-threshold sweep-run-accuracy
  sweep-cell-accuracy sweep-stress-map-0 dose-accuracy-vs-0 dose-run-accuracy dose-cell-accuracy
  dose-dose"
for figure in $figures; do
  for format in png svg pdf; do
    [ -s "$work/report/$figure.$format" ] || fail "$work/report/$figure.$format was not written"
  done
done
grep -q "reference: clean" "$work/report/run-accuracy.svg" ||
  fail "the --baseline run is not in the accuracy figure"
grep -q -- "--set duration=40 --set guard.threshold=1 --set attackers.0.arrival.rate=0.3" \
  "$work/report/index.html" || fail "the page does not show each run's scenario overrides"

# The check must see a broken image: the first figure's data made undecodable.
sed '0,/src="data:image\/svg+xml;base64,/s//src="data:image\/svg+xml;base64,broken/' \
  "$work/report/index.html" >"$work/broken.html"
counts=$(image_check "$work/broken.html") || exit 1
set -- $counts
[ "$1" -ge 2 ] && [ "$3" -eq 1 ] ||
  fail "a broken image went unnoticed: total $1, loaded $2, failed $3"

counts=$(image_check "$work/report/index.html") || exit 1
set -- $counts
[ "$1" -eq 11 ] || fail "the page has $1 images, expected 11 (run: accuracy, loss; sweep: \
ROC, accuracy vs threshold, run curves, curves per setting, stress-test map; dose: accuracy vs \
rate, run curves, curves per setting, dose-response)"
[ "$2" -eq "$1" ] && [ "$3" -eq 0 ] || fail "$3 of $1 images did not load in Chromium"
# Of the figures that compare settings of a seeded sweep, each must hold a 95% CI element.
[ "$5" -eq 7 ] || fail "$5 figures compare settings, expected 7 (sweep: ROC, accuracy vs \
threshold, curves per setting, stress-test map; dose: accuracy vs rate, curves per setting, \
dose-response)"
[ "$6" -eq "$5" ] && [ "$4" -gt 0 ] ||
  fail "only $6 of the $5 figures that compare settings have CI bands ($4 CI elements)"
echo "OK: all $1 figures of $work/report/index.html load in Chromium; $6 of $5 comparisons \
have CI bands ($4 CI elements)"
if grep -q "figures loaded" "$work/dom.html"; then fail "test-harness text is visible"; fi

# Bad input: exit 2 and one line naming the file.
set +e
"$poisonsim" report "$work/missing.h5" -o "$work/none" 2>"$work/missing.err"
code=$?
POISONSIM_REPORT_SCRIPT="$work/no-script.py" "$poisonsim" report "$work/run.h5" \
  -o "$work/none" 2>"$work/no-script.err"
script_code=$?
set -e
[ "$code" -eq 2 ] && grep -q "^error: $work/missing.h5: no such file" "$work/missing.err" ||
  fail "a missing input gave exit $code: $(cat "$work/missing.err")"
[ "$script_code" -eq 2 ] && grep -q "^error: $work/no-script.py: report script not found" \
  "$work/no-script.err" || fail "a missing script gave exit $script_code: $(cat "$work/no-script.err")"
echo "OK: bad inputs exit 2 with the file named"
