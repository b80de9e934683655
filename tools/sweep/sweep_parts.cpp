#include "tools/sweep/sweep_parts.h"

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "pipeline/trace/trace_reader.h"
#include "sim/util/atomic_output.h"
#include "sim/util/error.h"
#include "sim/kernel/random_stream.h"

namespace poisonsim {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

// Write then rename (sim/util/atomic_output.h): a reader never sees half a file, and of two writers
// one wins whole. Each writer has a temporary name of its own (shards on several hosts share
// the directory), created new, so nothing planted there is followed.
void write_atomically(const std::string& path, const std::string& text) {
  AtomicOutput(path, AtomicOutput::Existing::replace, AtomicOutput::Temporary::unique)
      .commit_text(text);
}

std::optional<json> read_json(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  std::stringstream text;
  text << in.rdbuf();
  auto value = json::parse(text.str(), nullptr, false);
  if (value.is_discarded() || !value.is_object()) return std::nullopt;
  return value;
}

}  // namespace

std::string run_part_path(const std::string& parts, int64_t id, const char* extension) {
  return (fs::path(parts) / fmt::format("run-{}.{}", id, extension)).string();
}

bool SweepManifest::operator==(const SweepManifest& o) const {
  return scenario_file == o.scenario_file && scenario == o.scenario && params == o.params &&
         overrides == o.overrides && runs == o.runs && seeds == o.seeds;
}

SweepManifest manifest_of(const SweepPlan& plan, const std::vector<std::string>& params,
                          const std::vector<std::string>& overrides) {
  return {plan.scenario_path,
          plan.scenario_text,
          params,
          overrides,
          static_cast<int64_t>(plan.runs.size()),
          plan.seeds};
}

std::string manifest_path(const std::string& parts) {
  return (fs::path(parts) / "sweep.json").string();
}

void write_manifest(const std::string& parts, const SweepManifest& m) {
  const json value = {
      {"scenario_file", m.scenario_file}, {"scenario", m.scenario}, {"params", m.params},
      {"overrides", m.overrides},         {"runs", m.runs},         {"seeds", m.seeds}};
  write_atomically(manifest_path(parts), value.dump(1) + "\n");
}

std::optional<SweepManifest> read_manifest(const std::string& parts) {
  const std::string path = manifest_path(parts);
  std::error_code ec;
  if (!fs::exists(path, ec)) return std::nullopt;
  const auto value = read_json(path);
  try {
    if (!value) throw std::runtime_error("not a JSON object");
    SweepManifest m;
    m.scenario_file = value->at("scenario_file").get<std::string>();
    m.scenario = value->at("scenario").get<std::string>();
    m.params = value->at("params").get<std::vector<std::string>>();
    m.overrides = value->at("overrides").get<std::vector<std::string>>();
    m.runs = value->at("runs").get<int64_t>();
    m.seeds = value->value("seeds", int64_t{0});
    return m;
  } catch (const std::exception&) {
    throw UserError(path,
                    "is not a sweep manifest (expected the JSON object `poisonsim sweep` writes "
                    "with scenario_file, scenario, params, overrides and runs)");
  }
}

uint64_t scenario_fingerprint(const SweepRunSpec& run) { return derive_seed(0, run.resolved_yaml); }

std::string this_host() {
  char name[256] = {};
  if (gethostname(name, sizeof name - 1) != 0) return "unknown";
  return name;
}

void write_provenance(const std::string& parts, const RunProvenance& p) {
  const json value = {{"run", p.run},
                      {"exit_code", p.exit_code},
                      {"worker", p.worker},
                      {"host", p.host},
                      {"seconds", p.seconds},
                      {"scenario_fingerprint", fmt::format("{:016x}", p.scenario_fingerprint)},
                      {"ended", p.ended}};
  write_atomically(run_part_path(parts, p.run, "json"), value.dump() + "\n");
}

std::optional<RunProvenance> read_provenance(const std::string& parts, const SweepRunSpec& run) {
  const auto value = read_json(run_part_path(parts, run.id, "json"));
  if (!value) return std::nullopt;
  try {
    RunProvenance p;
    p.run = value->at("run").get<int64_t>();
    p.exit_code = value->at("exit_code").get<int>();
    p.worker = value->at("worker").get<std::string>();
    p.host = value->at("host").get<std::string>();
    p.seconds = value->at("seconds").get<double>();
    p.scenario_fingerprint =
        std::stoull(value->at("scenario_fingerprint").get<std::string>(), nullptr, 16);
    p.ended = value->value("ended", true);  // records from before start records had ended
    if (p.run != run.id || p.scenario_fingerprint != scenario_fingerprint(run)) return std::nullopt;
    return p;
  } catch (const std::exception&) {
    return std::nullopt;  // a file cut short: as if the run had left no record
  }
}

bool finished_part(const std::string& parts, const SweepRunSpec& run) {
  const std::string trace = run_part_path(parts, run.id, "h5");
  std::error_code ec;
  if (!fs::exists(trace, ec)) return false;
  try {
    const TraceReader reader(trace);
    return reader.complete() && reader.metadata().scenario_yaml == run.resolved_yaml;
  } catch (const std::exception&) {
    return false;  // a part cut short by a kill: run it again
  }
}

std::string last_log_line(const std::string& path) {
  std::ifstream in(path);
  std::string line, last;
  while (std::getline(in, line))
    if (line.find_first_not_of(" \t\r") != std::string::npos) last = line;
  return last;
}

}  // namespace poisonsim
