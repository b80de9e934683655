#!/usr/bin/env bash
# The sanitizer half of CI (docs/testing.md): builds the `asan` preset (gcc, ASan + UBSan) and
# runs the suites labelled `sanitize`, then builds the libFuzzer targets (clang) and runs each
# for FUZZ_SECONDS (default 30), mutating its seed corpus (tools/scripts/fuzz.sh). Run
# after tools/scripts/test.sh (setup done).
set -euo pipefail
cd "$(dirname "$0")/../.."
seconds=${FUZZ_SECONDS:-30}
launcher=()
if command -v ccache >/dev/null; then launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache); fi

start=$SECONDS
cmake --preset asan "${launcher[@]}" >/dev/null
cmake --build --preset asan
ctest --preset asan -j "$(nproc)"
echo "test_sanitizers: asan suites done in $((SECONDS - start)) s"

start=$SECONDS
tools/scripts/fuzz.sh --build
for target in fuzz_scenario fuzz_set fuzz_idx fuzz_cifar10 fuzz_numpy fuzz_trace fuzz_checkpoint; do
  limit=("$seconds")
  # libFuzzer prints a line per new input; keep the log and show its end.
  log=build-fuzz/$target.log
  if ! tools/scripts/fuzz.sh "$target" "${limit[@]}" >"$log" 2>&1; then
    tail -n 60 "$log"
    echo "test_sanitizers: $target found a crash, leak or hang (build-fuzz/artifacts/$target/)" >&2
    exit 1
  fi
  grep -E '^(Done|stat::number_of_executed_units|stat::new_units_added)' "$log" | tr '\n' ' '
  echo "[$target]"
done
echo "test_sanitizers: fuzzers done in $((SECONDS - start)) s"
