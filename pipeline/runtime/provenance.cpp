#include "pipeline/runtime/provenance.h"

#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <ctime>
#include <vector>

#include <H5public.h>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "pipeline/runtime/numeric_runtime.h"
#include "pipeline/runtime/plugin_files.h"
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

// Constant-initialised, so a registrar running before main finds it in place.
LibraryProvenance library_provenance = nullptr;

}  // namespace

void set_library_provenance(LibraryProvenance describe) { library_provenance = describe; }

void set_command_line(int argc, const char* const* argv) {
  command_line().assign(argv, argv + argc);
}

const std::vector<std::string>& recorded_command_line() { return command_line(); }

std::string provenance_json(int scoring_threads) {
  const CpuInfo cpu = cpu_info();
  unsigned h5_major = 0, h5_minor = 0, h5_release = 0;
  H5get_libversion(&h5_major, &h5_minor, &h5_release);
  nlohmann::ordered_json out = {{"poisonsim_version", POISONSIM_VERSION},
                                {"git_commit", build_commit()},
                                {"command_line", command_line()},
                                {"cpu", cpu.model},
                                {"instruction_sets", cpu.instruction_sets}};
  if (library_provenance)
    out.update(nlohmann::ordered_json::parse(library_provenance(scoring_threads)));
  out["hdf5"] = fmt::format("{}.{}.{}", h5_major, h5_minor, h5_release);
  out["host"] = host_name();
  out["start_time_utc"] = utc_now();
  if (const auto files = loaded_plugin_files(); !files.empty()) {
    auto& list = out["plugin_files"] = nlohmann::ordered_json::array();
    for (const auto& f : files)
      list.push_back({{"file", f.file}, {"path", f.absolute}, {"sha256", f.sha256}});
  }
  return out.dump();
}

std::string build_commit() { return POISONSIM_GIT_COMMIT; }

bool build_commit_unknown(const std::string& commit) { return commit.rfind("unknown", 0) == 0; }

}  // namespace poisonsim
