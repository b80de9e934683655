#include "tools/cli/library_options.h"

#include <spdlog/spdlog.h>

#include "pipeline/runtime/compute_threads.h"
#include "pipeline/runtime/numeric_runtime.h"
#include "pipeline/runtime/numerics_mode.h"

namespace poisonsim::cli {

void configure_numeric_libraries(const GlobalOptions& options) {
  configure_compute_threads(options.threads);
  const std::string warning = blas_warning(blas_info(), cpu_info());
  if (!warning.empty()) spdlog::warn("{}", warning);
  const std::string replaced = replaced_user_settings();
  if (!replaced.empty())
    spdlog::warn(
        "portable numerics replaced {} (set compute.numerics: native, or "
        "POISONSIM_NUMERICS=native, to choose kernels yourself)",
        replaced);
  spdlog::debug("BLAS: {}", describe_blas());
}

}  // namespace poisonsim::cli
