#!/usr/bin/env bash
# Configures and builds poisonsim into build/ (Release), or into $POISONSIM_BUILD_DIR. Extra
# arguments go to cmake's configure step, e.g. tools/scripts/build.sh -DPOISONSIM_WERROR=ON.
set -euo pipefail
cd "$(dirname "$0")/../.."
jobs=$(nproc)
dir=${POISONSIM_BUILD_DIR:-build}
cmake -S . -B "$dir" -G Ninja -DCMAKE_BUILD_TYPE=Release "$@"
cmake --build "$dir" -j "$jobs"
