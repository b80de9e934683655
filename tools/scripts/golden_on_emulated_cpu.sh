#!/usr/bin/env bash
# Checks the portable golden digests on another CPU kind without another machine: poisonsim runs
# under QEMU's user-mode emulation of an Intel Haswell (AVX2 + FMA, no AVX-512; its own CPUID,
# cache sizes and feature bits), so every library that asks the CPU what it is gets a different
# answer than on the host. Slow (emulated SIMD, about 30-60x): `--only NAME` runs one scenario.
#   tools/scripts/golden_on_emulated_cpu.sh [--cpu Haswell-v4] [--only quickstart] [--record-verified]
# Needs Debian's qemu-user (apt-get install qemu-user) and a build in build/ (or $POISONSIM_BUILD_DIR).
set -euo pipefail
cd "$(dirname "$0")/../.."
cpu=Haswell-v4
args=()
while [ $# -gt 0 ]; do
  case "$1" in
    --cpu) cpu=$2; shift 2 ;;
    *) args+=("$1"); shift ;;
  esac
done
command -v qemu-x86_64 >/dev/null || { echo "error: qemu-x86_64 not found: apt-get install qemu-user" >&2; exit 2; }
binary=$(realpath "${POISONSIM_BUILD_DIR:-build}/poisonsim")
work=$(mktemp -d /tmp/poisonsim-emulated.XXXXXX)
trap 'rm -rf "$work"' EXIT
# poisonsim re-executes itself to set the libraries' variables; an exec leaves the emulator (the
# host runs x86-64 natively), so the wrapper sets them beforehand and spends the re-exec count.
cat > "$work/poisonsim" <<WRAPPER
#!/bin/sh
export OPENBLAS_CORETYPE=Haswell DNNL_MAX_CPU_ISA=AVX2 ATEN_CPU_CAPABILITY=avx2 OMP_WAIT_POLICY=passive
export POISONSIM_NUMERICS=portable POISONSIM_NUMERICS_ACTIVE=portable POISONSIM_CHOSEN_BLAS_KERNEL=Haswell
export POISONSIM_NUMERIC_REEXEC=2
exec qemu-x86_64 -cpu $cpu "$binary" "\$@" 2> >(grep -v "TCG doesn't support" >&2)
WRAPPER
sed -i '1s|.*|#!/bin/bash|' "$work/poisonsim"
chmod +x "$work/poisonsim"
echo "emulating $cpu: $(qemu-x86_64 --version | head -1)"
/usr/bin/python3 tests/golden/golden_traces.py --binary "$work/poisonsim" --work "$work/runs" \
  --cpu-label "$cpu (QEMU user-mode emulation on $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs))" \
  "${args[@]}" check
