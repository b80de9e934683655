#include "pipeline/runtime/numerics_in_use.h"

#include <sstream>

#include <ATen/Version.h>
#include <fmt/format.h>
#include <oneapi/dnnl/dnnl.hpp>

#include "pipeline/runtime/numeric_runtime.h"
#include "pipeline/runtime/numerics_mode.h"

namespace poisonsim {
namespace {

std::string onednn_isa_name(dnnl::cpu_isa isa) {
  using dnnl::cpu_isa;
  switch (isa) {
    case cpu_isa::sse41:
      return "sse41";
    case cpu_isa::avx:
      return "avx";
    case cpu_isa::avx2:
      return "avx2";
    case cpu_isa::avx2_vnni:
      return "avx2_vnni";
    case cpu_isa::avx512_core:
      return "avx512_core";
    case cpu_isa::avx512_core_vnni:
      return "avx512_core_vnni";
    case cpu_isa::avx512_core_bf16:
      return "avx512_core_bf16";
    case cpu_isa::avx512_core_amx:
      return "avx512_core_amx";
    case cpu_isa::all:
      return "all";
    default:
      return fmt::format("isa {}", static_cast<int>(isa));
  }
}

// LibTorch 1.13 does not export its dispatch level; its configuration text states it, as
// "CPU capability usage: AVX2".
std::string aten_capability() {
  std::istringstream config(at::show_config());
  const std::string prefix = "CPU capability usage: ";
  for (std::string line; std::getline(config, line);) {
    const auto at = line.find(prefix);
    if (at != std::string::npos) return line.substr(at + prefix.size());
  }
  return "unknown";
}

}  // namespace

bool NumericsInUse::portable_in_effect() const {
  return mode == "portable" && (blas_kernel.empty() || blas_kernel == "Haswell") &&
         onednn_isa == "avx2" && aten_capability == "AVX2";
}

std::string NumericsInUse::describe() const {
  return fmt::format("{}: OpenBLAS {}, oneDNN {}, ATen {}", mode,
                     blas_kernel.empty() ? "absent" : blas_kernel, onednn_isa, aten_capability);
}

std::string NumericsInUse::warning() const {
  if (mode != "portable" || portable_in_effect()) return "";
  return "portable numerics asked for, but the libraries run " + describe() +
         ": results may differ from other machines' (was a library variable set after start?)";
}

NumericsInUse numerics_in_use() {
  // Read once: the libraries fix their levels when they load, and a change of mode re-executes
  // the process. A run asks at its start, for its cache key, its provenance and each checkpoint.
  static const NumericsInUse in_use = [] {
    NumericsInUse read;
    read.mode = to_string(numerics_mode());
    read.blas_kernel = blas_info().kernel;
    read.onednn_isa = onednn_isa_name(dnnl::get_effective_cpu_isa());
    read.aten_capability = aten_capability();
    return read;
  }();
  return in_use;
}

}  // namespace poisonsim
