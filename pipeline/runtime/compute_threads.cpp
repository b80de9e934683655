#include "pipeline/runtime/compute_threads.h"

#include <omp.h>

#include <thread>

#include <fmt/format.h>
#include <torch/torch.h>
#include <torch/version.h>

#include "pipeline/runtime/library_provenance.h"
#include "pipeline/runtime/numeric_runtime.h"
#include "pipeline/runtime/provenance.h"

namespace poisonsim {
namespace {

// Every process that links the numeric libraries (this file) describes them in its provenance.
[[maybe_unused]] const bool library_provenance_installed =
    (set_library_provenance(&library_provenance_json), true);

}  // namespace

void configure_compute_threads(int threads) {
  set_openblas_threads(1);
  const int hardware = static_cast<int>(std::thread::hardware_concurrency());
  torch::set_num_threads(threads > 0 ? threads : std::max(hardware, 1));
}

void set_torch_threads(int threads) { torch::set_num_threads(std::max(threads, 1)); }

int torch_threads() { return torch::get_num_threads(); }

std::string describe_blas() {
  const int blas_threads = openblas_threads();
  return fmt::format("{} ({} BLAS thread{}), LibTorch {} thread{}", blas_info().describe(),
                     blas_threads, blas_threads == 1 ? "" : "s", torch::get_num_threads(),
                     torch::get_num_threads() == 1 ? "" : "s");
}

std::string libtorch_version() {
  return fmt::format("{}.{}.{}", TORCH_VERSION_MAJOR, TORCH_VERSION_MINOR, TORCH_VERSION_PATCH);
}

ScopedOmpThreads::ScopedOmpThreads(int threads) : previous_(omp_get_max_threads()) {
  omp_set_num_threads(threads);
}

ScopedOmpThreads::~ScopedOmpThreads() { omp_set_num_threads(previous_); }

}  // namespace poisonsim
