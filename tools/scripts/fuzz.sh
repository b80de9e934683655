#!/usr/bin/env bash
# Builds the libFuzzer targets (clang, ASan + UBSan, coverage) into build-fuzz/ and runs one of
# them for a given time on its committed seed corpus (docs/testing.md).
#   tools/scripts/fuzz.sh TARGET [SECONDS] [extra libFuzzer flags...]   e.g. tools/scripts/fuzz.sh fuzz_idx 600
#   tools/scripts/fuzz.sh --build                                        builds every target, runs none
# New interesting inputs go to build-fuzz/corpus/TARGET (the committed seeds stay as they are);
# a crash, leak or hang is written to build-fuzz/artifacts/TARGET/ and the script exits non-zero.
set -euo pipefail
cd "$(dirname "$0")/../.."
target=${1:?usage: tools/scripts/fuzz.sh TARGET [SECONDS] [libFuzzer flags] | tools/scripts/fuzz.sh --build}
seconds=${2:-60}
build=${POISONSIM_FUZZ_BUILD_DIR:-build-fuzz}

launcher=()
if command -v ccache >/dev/null; then launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache); fi
if [ ! -f "$build/CMakeCache.txt" ]; then
  # RelWithDebInfo: optimised like a release, with line numbers in sanitizer reports.
  cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++ -DPOISONSIM_FUZZ=ON \
    -DPOISONSIM_BUILD_TESTS=OFF -DPOISONSIM_WERROR=ON "${launcher[@]}"
fi
if [ "$target" = "--build" ]; then
  cmake --build "$build" --target fuzzers
  exit 0
fi
cmake --build "$build" --target "$target"
shift $(( $# >= 2 ? 2 : 1 ))

seeds=(tests/fuzz/corpus/$target)
[ -d "${seeds[0]}" ] || { echo "fuzz.sh: no seed corpus ${seeds[0]}" >&2; exit 2; }
# The bad-scenario catalogue seeds the scenario parser too: each case reaches one refusal.
if [ "$target" = fuzz_scenario ]; then seeds+=(tests/bad-inputs); fi
corpus=$build/corpus/$target
artifacts=$build/artifacts/$target
mkdir -p "$corpus" "$artifacts"
# HDF5 1.10.8 loses memory on some corrupt files below poisonsim's handles, so fuzz_trace (and
# fuzz_checkpoint, the same library on checkpoints) checks for open identifiers instead of leaks
# (tests/fuzz/fuzz_trace.cpp). HDF5 also mallocs whatever
# size a corrupt header claims and handles a null result (a UserError, as users see it):
# allocator_may_return_null makes ASan return null as glibc does. Our own allocations still
# fail loudly: operator new throws std::bad_alloc, which is not a UserError.
# It copies as much as a corrupt string length claims (up to 4 GB: 2 GB took 2.7 s in a release
# build, over 10 s under ASan on a busy machine), so its inputs get 30 s. Memory: one input made
# HDF5 hold 4.3 GB in 3,600 vlen buffers beside one 4 GB copy (8.3 GB, 2026-12-07, where the
# release build's address-space cap refuses it; the cap is off under ASan), so 12 GB.
asan=detect_leaks=1
timeout=10
rss=2048
if [ "$target" = fuzz_trace ] || [ "$target" = fuzz_checkpoint ]; then
  asan=detect_leaks=0:allocator_may_return_null=1
  timeout=30
  rss=12288
fi
export ASAN_OPTIONS=${ASAN_OPTIONS:-$asan}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1}
# The first directory receives new inputs; the seeds are read only. -timeout: an input that
# takes longer is reported as a hang. -rss_limit_mb (and the single-malloc limit, the same): a
# reader that allocates what a header claims instead of what the file holds is out-of-memory.
exec "$build/tests/fuzz/$target" "$corpus" "${seeds[@]}" -max_total_time="$seconds" -timeout="$timeout" \
  -rss_limit_mb="$rss" -artifact_prefix="$artifacts/" -print_final_stats=1 "$@"
