#!/usr/bin/env bash
# The whole test suite from a fresh clone: install dependencies, build with warnings as errors,
# run every GoogleTest suite through ctest. This is the README's second command and what CI runs.
set -euo pipefail
cd "$(dirname "$0")/../.."
tools/scripts/setup.sh
# Its own build directory: a user's build/ keeps its options and its objects.
export POISONSIM_BUILD_DIR=build-test
tools/scripts/build.sh -DPOISONSIM_WERROR=ON
# Real data is installed by setup.sh: a missing Fashion-MNIST must fail the suite, not skip it.
export POISONSIM_REQUIRE_REAL_DATA=1
ctest --test-dir build-test --output-on-failure -j "$(nproc)" --timeout 900
