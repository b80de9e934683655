#include "pipeline/runtime/provenance.h"

#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <ctime>
#include <vector>

#include <H5public.h>
#include <tbb/version.h>
#include <oneapi/dnnl/dnnl.hpp>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "pipeline/runtime/compute_threads.h"
#include "pipeline/runtime/numeric_runtime.h"
#include "pipeline/runtime/numerics_in_use.h"
#include "poisonsim_commit.h"
#include "poisonsim_version.h"

namespace poisonsim {
namespace {

std::vector<std::string>& command_line() {
  static std::vector<std::string> words;
  return words;
}

std::string utc_now() {
  const std::time_t now = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
  std::tm utc{};
  gmtime_r(&now, &utc);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &utc);
  return text;
}

std::string host_name() {
  char name[256] = {};
  if (gethostname(name, sizeof name - 1) != 0) return "unknown";
  return name;
}

std::string environment(const char* name) {
  const char* value = std::getenv(name);
  return value ? value : "";
}

}  // namespace

void set_command_line(int argc, const char* const* argv) {
  command_line().assign(argv, argv + argc);
}

const std::vector<std::string>& recorded_command_line() { return command_line(); }

std::string provenance_json(int scoring_threads) {
  const CpuInfo cpu = cpu_info();
  const BlasInfo blas = blas_info();
  const NumericsInUse numerics = numerics_in_use();
  const dnnl_version_t* dnnl = dnnl_version();
  unsigned h5_major = 0, h5_minor = 0, h5_release = 0;
  H5get_libversion(&h5_major, &h5_minor, &h5_release);
  const nlohmann::ordered_json out = {
      {"poisonsim_version", POISONSIM_VERSION},
      {"git_commit", build_commit()},
      {"command_line", command_line()},
      {"cpu", cpu.model},
      {"instruction_sets", cpu.instruction_sets},
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
      {"hdf5", fmt::format("{}.{}.{}", h5_major, h5_minor, h5_release)},
      {"threads",
       {{"libtorch", torch_threads()},
        {"scoring", scoring_threads},
        {"blas", openblas_threads()},
        {"omp_wait_policy", environment("OMP_WAIT_POLICY")}}},
      {"host", host_name()},
      {"start_time_utc", utc_now()}};
  return out.dump();
}

std::string build_commit() { return POISONSIM_GIT_COMMIT; }

bool build_commit_unknown(const std::string& commit) { return commit.rfind("unknown", 0) == 0; }

}  // namespace poisonsim
