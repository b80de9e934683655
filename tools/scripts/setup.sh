#!/usr/bin/env bash
# Installs everything poisonsim needs from Debian's packages. Idempotent; run as root (or with
# sudo) on Debian 12. Packages already present are left alone, so a second run is quick.
set -euo pipefail

packages=(
  # build
  build-essential cmake ninja-build pkg-config git
  # libraries (docs/architecture.md, "Libraries and their direction", says which part uses each)
  libtorch-dev libdnnl-dev libtbb-dev libyaml-cpp-dev libhdf5-dev zlib1g-dev
  libcli11-dev libspdlog-dev libfmt-dev nlohmann-json3-dev libgtest-dev libgmock-dev libbenchmark-dev
  # Boost.Math (header-only): Student's t quantiles for the confidence intervals over seeds
  libboost-math-dev
  # cereal (header-only): the binary archives of checkpoints (poisonsim run --checkpoint-every)
  libcereal-dev
  # libzip: NumPy .npz poison files of the replay attacker (pipeline/data/npz_archive.cpp)
  libzip-dev
  # SHA-256 of plug-in files (pipeline/data/sha256.h)
  libssl-dev
  # FAISS: exact neighbour search of the k-NN guard (guards/per_sample/knn_guard.cpp)
  libfaiss-dev
  # an optimized BLAS for LibTorch: ~10x faster training than the reference BLAS
  libopenblas0-pthread
  # the default real data set, installed at /usr/share/datasets/fashion-mnist
  dataset-fashion-mnist
  # analysis scripts run by /usr/bin/python3 (poisonsim report: python/poisonsim/report)
  python3 python3-numpy python3-h5py python3-pandas python3-matplotlib python3-yaml
  # `type: python` guards and sanitizers: pybind11 embeds Debian's python3 (guards/python/)
  pybind11-dev python3-dev
  # the Python package's tests (python/tests, run by ctest)
  python3-pytest
  # `pip install ./python` into a venv (tests/python_install_test.py; README.md, Installing)
  python3-venv python3-pip
  # scikit-learn: the independent reference the defenses' verdicts are checked against
  python3-sklearn
  # SciPy's LAPACK bindings: the Python spectral sanitizer (scenarios/plugins/spectral_signature.py)
  python3-scipy
  # the PyTorch reference of `poisonsim bench attacks --reference` (tools/bench/
  # reference_attacks.py): the same attacks in Python, so poisonsim's speed is a measured ratio
  python3-torch
  # MPI sweeps: `mpirun -np N poisonsim sweep` (optional at build time; CMake finds it)
  openmpi-bin libopenmpi-dev
  # headless browser: the report test opens the HTML page and checks every figure loads
  chromium
  # tools/scripts/test_sanitizers.sh: libFuzzer and its sanitizer runtimes come with clang (gcc's ASan
  # and UBSan, for the `asan` preset, come with build-essential)
  clang libclang-rt-14-dev
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi

if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}"
  $SUDO apt-get update -q
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q "${missing[@]}"
else
  echo "setup: all ${#packages[@]} packages already installed"
fi

# LibTorch links libblas.so.3; point it at OpenBLAS (pthread build). poisonsim itself keeps
# OpenBLAS at one thread at run time so it does not fight LibTorch's OpenMP threads.
blas=/usr/lib/x86_64-linux-gnu/openblas-pthread/libblas.so.3
if [ -e "$blas" ]; then
  $SUDO update-alternatives --set libblas.so.3-x86_64-linux-gnu "$blas" >/dev/null
fi
echo "setup: done (BLAS: $(readlink -f /usr/lib/x86_64-linux-gnu/libblas.so.3))"
