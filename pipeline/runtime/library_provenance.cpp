#include "pipeline/runtime/library_provenance.h"

#include <cstdlib>

#include <tbb/version.h>
#include <oneapi/dnnl/dnnl.hpp>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "pipeline/runtime/compute_threads.h"
#include "pipeline/runtime/numeric_runtime.h"
#include "pipeline/runtime/numerics_in_use.h"

namespace poisonsim {
namespace {

std::string environment(const char* name) {
  const char* value = std::getenv(name);
  return value ? value : "";
}

}  // namespace

std::string library_provenance_json(int scoring_threads) {
  const BlasInfo blas = blas_info();
  const NumericsInUse numerics = numerics_in_use();
  const dnnl_version_t* dnnl = dnnl_version();
  const nlohmann::ordered_json out = {
      {"blas", blas.describe()},
      {"blas_kernel", blas.kernel},
      {"numerics",
       {{"mode", numerics.mode},
        {"in_effect", numerics.mode == "native" || numerics.portable_in_effect()},
        {"blas_kernel", numerics.blas_kernel},
        {"onednn_isa", numerics.onednn_isa},
        {"aten_capability", numerics.aten_capability}}},
      {"libtorch", libtorch_version()},
      {"onednn", fmt::format("{}.{}.{}", dnnl->major, dnnl->minor, dnnl->patch)},
      {"onetbb", fmt::format("{}.{}", TBB_VERSION_MAJOR, TBB_VERSION_MINOR)},
      {"threads",
       {{"libtorch", torch_threads()},
        {"scoring", scoring_threads},
        {"blas", openblas_threads()},
        {"omp_wait_policy", environment("OMP_WAIT_POLICY")}}}};
  return out.dump();
}

}  // namespace poisonsim
