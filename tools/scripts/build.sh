#!/usr/bin/env bash
# Configures and builds poisonsim into build/ (Release), or into $POISONSIM_BUILD_DIR. Extra
# arguments go to cmake's configure step, e.g. tools/scripts/build.sh -DPOISONSIM_WERROR=ON.
set -euo pipefail
cd "$(dirname "$0")/../.."
jobs=$(nproc)
dir=${POISONSIM_BUILD_DIR:-build}
# A compiler cache where one is installed (as tools/scripts/test_sanitizers.sh does): rebuilding
# after a branch switch or in a second checkout reuses every unchanged object.
launcher=()
if command -v ccache >/dev/null; then
  launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache -DCMAKE_C_COMPILER_LAUNCHER=ccache)
fi
cmake -S . -B "$dir" -G Ninja -DCMAKE_BUILD_TYPE=Release "${launcher[@]}" "$@"
cmake --build "$dir" -j "$jobs"
