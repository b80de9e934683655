#include "pipeline/model/compute_threads.h"

#include <dlfcn.h>

#include <thread>

#include <fmt/format.h>
#include <torch/torch.h>
#include <torch/version.h>

#include "pipeline/model/numeric_runtime.h"

namespace poisonsim {
namespace {

// OpenBLAS is reached through libblas.so.3 (Debian's alternatives), so its functions are looked
// up at run time: with the reference BLAS they are simply absent.
template <class Fn>
Fn find_blas_function(const char* name) {
  return reinterpret_cast<Fn>(dlsym(RTLD_DEFAULT, name));
}

}  // namespace

void configure_compute_threads(int threads) {
  if (auto set_blas_threads = find_blas_function<void (*)(int)>("openblas_set_num_threads"))
    set_blas_threads(1);
  const int hardware = static_cast<int>(std::thread::hardware_concurrency());
  torch::set_num_threads(threads > 0 ? threads : std::max(hardware, 1));
}

void set_torch_threads(int threads) { torch::set_num_threads(std::max(threads, 1)); }

std::string describe_blas() {
  auto get_threads = find_blas_function<int (*)()>("openblas_get_num_threads");
  const int blas_threads = get_threads ? get_threads() : 1;
  return fmt::format("{} ({} BLAS thread{}), LibTorch {} thread{}", blas_info().describe(),
                     blas_threads, blas_threads == 1 ? "" : "s", torch::get_num_threads(),
                     torch::get_num_threads() == 1 ? "" : "s");
}

std::string libtorch_version() {
  return fmt::format("{}.{}.{}", TORCH_VERSION_MAJOR, TORCH_VERSION_MINOR, TORCH_VERSION_PATCH);
}

}  // namespace poisonsim
