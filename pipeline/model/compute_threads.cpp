#include "pipeline/model/compute_threads.h"

#include <dlfcn.h>

#include <thread>

#include <fmt/format.h>
#include <torch/torch.h>

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
  auto get_config = find_blas_function<char* (*)()>("openblas_get_config");
  auto get_threads = find_blas_function<int (*)()>("openblas_get_num_threads");
  if (!get_config)
    return "reference BLAS (about 10x slower training: run tools/setup.sh to install OpenBLAS)";
  return fmt::format("{} ({} BLAS thread{}), LibTorch {} thread{}", get_config(),
                     get_threads ? get_threads() : -1, get_threads && get_threads() == 1 ? "" : "s",
                     torch::get_num_threads(), torch::get_num_threads() == 1 ? "" : "s");
}

}  // namespace poisonsim
