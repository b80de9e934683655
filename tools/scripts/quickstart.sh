#!/usr/bin/env bash
# The README's first command: install dependencies, build, and run the quickstart on the
# embedded default data (Fashion-MNIST from Debian's dataset-fashion-mnist).
set -euo pipefail
cd "$(dirname "$0")/../.."
tools/scripts/setup.sh
tools/scripts/build.sh
mkdir -p runs
build/poisonsim run scenarios/quickstart.yaml -o runs/quickstart.h5 --force
