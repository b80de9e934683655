#include "tools/bench/environment_benchmark.h"

#include "tools/bench/bench_median.h"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <limits>
#include <map>
#include <optional>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "pipeline/runtime/numeric_runtime.h"
#include "pipeline/runtime/numerics_mode.h"
#include "pipeline/trace/trace_reader.h"
#include "sim/util/error.h"
#include "tools/sweep/child_processes.h"

namespace poisonsim::bench {
namespace {

namespace fs = std::filesystem;

// Processes that keep one core each busy, as other users' jobs on a shared machine do.
class BusyProcesses {
 public:
  explicit BusyProcesses(int count) {
    for (int i = 0; i < count; ++i) {
      const pid_t pid = fork();
      if (pid == 0) {
        volatile unsigned long spin = 0;
        for (;;) spin = spin + 1;  // until killed
      }
      if (pid > 0) pids_.push_back(pid);
    }
    if (static_cast<int>(pids_.size()) < count)
      spdlog::warn("bench: started {} of {} load processes", pids_.size(), count);
  }
  ~BusyProcesses() {
    for (const pid_t pid : pids_) kill(pid, SIGKILL);
    for (const pid_t pid : pids_) waitpid(pid, nullptr, 0);
  }
  BusyProcesses(const BusyProcesses&) = delete;
  BusyProcesses& operator=(const BusyProcesses&) = delete;

 private:
  std::vector<pid_t> pids_;
};

struct Measured {
  double seconds = 0;
  int64_t max_rss_kib = 0;
  std::string blas;
};

Measured run_once(const EnvironmentVariant& variant, const EnvironmentBenchmarkOptions& options,
                  const std::string& label) {
  const std::string trace = (fs::path(options.work_dir) / (label + ".h5")).string();
  const std::string log = (fs::path(options.work_dir) / (label + ".log")).string();
  std::vector<std::string> argv = {own_executable(), "--log-level", "warn", "run",
                                   options.scenario, "-o",          trace,  "--force",
                                   "--quiet"};
  for (const auto* list : {&options.overrides, &variant.overrides})
    for (const auto& value : *list) {
      argv.push_back("--set");
      argv.push_back(value);
    }
  const FinishedChild child = run_from_fresh_environment(argv, variant.environment, log);
  if (child.exit_code != 0)
    throw UserError(variant.name, fmt::format("the run failed (exit code {}); its output is in {}",
                                              child.exit_code, log));
  Measured measured;
  measured.seconds = child.seconds;
  measured.max_rss_kib = child.max_rss_kib;
  const auto metadata = TraceReader(trace).metadata();
  measured.blas = metadata.blas + "; numerics " + metadata.numerics;
  return measured;
}

}  // namespace

FinishedChild run_from_fresh_environment(const std::vector<std::string>& argv,
                                         const std::vector<std::string>& environment,
                                         const std::string& log) {
  static const std::vector<std::string> cleared = {
      "-u", "OPENBLAS_CORETYPE",     "-u", "DNNL_MAX_CPU_ISA",
      "-u", "ATEN_CPU_CAPABILITY",   "-u", kChosenBlasKernelVariable,
      "-u", kNumericReexecVariable,  "-u", kNumericsOverrideVariable,
      "-u", kNumericsActiveVariable, "-u", kNumericsOriginalVariable};
  ChildCommand command;
  command.argv = {"/usr/bin/env"};
  command.argv.insert(command.argv.end(), cleared.begin(), cleared.end());
  command.argv.insert(command.argv.end(), environment.begin(), environment.end());
  command.argv.insert(command.argv.end(), argv.begin(), argv.end());
  command.log_path = log;
  FinishedChild finished;
  finished.exit_code = -1;
  run_children({command}, 1, [&](size_t, const FinishedChild& child) { finished = child; });
  return finished;
}

void EnvironmentBenchmarkOptions::validate() const {
  if (rounds < 1) throw UserError("--rounds", fmt::format("{}: expected >= 1", rounds));
  for (const int load : loads)
    if (load < 0 || load > 64) throw UserError("--load", fmt::format("{}: expected 0-64", load));
  if (!fs::is_regular_file(scenario))
    throw UserError(scenario, "scenario file not found (pass --scenario)");
}

double VariantFigures::median() const { return bench::median(seconds); }

std::vector<EnvironmentVariant> kernel_variants(const std::vector<std::string>& kernels) {
  // Native numerics: portable mode would pin every variant to the same kernel.
  const std::string native = std::string(kNumericsOverrideVariable) + "=native";
  std::vector<EnvironmentVariant> variants = {{"auto (poisonsim's choice)", {native}, {}}};
  for (const auto& kernel : kernels)
    variants.push_back({kernel, {native, "OPENBLAS_CORETYPE=" + kernel}, {}});
  return variants;
}

std::vector<EnvironmentVariant> numerics_variants() {
  std::vector<EnvironmentVariant> variants;
  for (const char* mode : {"portable", "native"})
    variants.push_back({mode, {std::string(kNumericsOverrideVariable) + "=" + mode}, {}});
  return variants;
}

std::vector<EnvironmentVariant> thread_variants(const std::vector<int>& threads,
                                                const std::vector<std::string>& wait_policies) {
  std::vector<EnvironmentVariant> variants;
  for (const int count : threads)
    for (const auto& policy : wait_policies)
      variants.push_back({fmt::format("{} thread{}, {} wait", count, count == 1 ? "" : "s", policy),
                          {"OMP_WAIT_POLICY=" + policy},
                          {fmt::format("compute.train_threads={}", count)}});
  return variants;
}

std::string run_label(int load, int round, size_t variant) {
  return fmt::format("load{}-round{}-variant{}", load, round, variant);
}

std::vector<VariantFigures> run_environment_benchmark(
    const std::vector<EnvironmentVariant>& variants, const EnvironmentBenchmarkOptions& given) {
  given.validate();
  EnvironmentBenchmarkOptions options = given;
  std::optional<fs::path> temporary;
  if (options.work_dir.empty()) {
    temporary = fs::temp_directory_path() / fmt::format("poisonsim-bench-{}", getpid());
    options.work_dir = temporary->string();
  }
  std::error_code ec;
  fs::create_directories(options.work_dir, ec);
  if (ec) throw UserError(options.work_dir, "cannot create the directory: " + ec.message());

  spdlog::info("bench: warm-up run (fills the pretraining cache; not counted)");
  run_once(variants.front(), options, "warm-up");
  std::vector<VariantFigures> figures;
  for (const int load : options.loads)
    for (const auto& variant : variants) figures.push_back({variant.name, load, {}, {}, ""});
  for (const int load : options.loads) {
    BusyProcesses busy(load);
    for (int round = 0; round < options.rounds; ++round) {
      // Rotate the order each round so no variant always runs right after the same one.
      for (size_t k = 0; k < variants.size(); ++k) {
        const size_t v = (k + static_cast<size_t>(round)) % variants.size();
        const auto label = run_label(load, round, v);
        const auto measured = run_once(variants[v], options, label);
        auto& figure = *std::find_if(figures.begin(), figures.end(), [&](const auto& f) {
          return f.load == load && f.name == variants[v].name;
        });
        figure.seconds.push_back(measured.seconds);
        figure.max_rss_kib.push_back(measured.max_rss_kib);
        figure.blas = measured.blas;
        spdlog::info("bench: load {} round {}/{}: {}: {:.1f} s", load, round + 1, options.rounds,
                     variants[v].name, measured.seconds);
      }
    }
  }
  if (temporary) fs::remove_all(*temporary, ec);
  return figures;
}

namespace {

// The fastest variant (by median) at each load.
std::map<int, const VariantFigures*> fastest_variant_by_load(
    const std::vector<VariantFigures>& figures) {
  std::map<int, const VariantFigures*> fastest;
  for (const auto& f : figures) {
    auto [it, added] = fastest.emplace(f.load, &f);
    if (!added && f.median() < it->second->median()) it->second = &f;
  }
  return fastest;
}

// The median over rounds of this variant's time over the reference's in the same round: on a
// shared machine a round's load slows both sides, so the paired ratio is steadier than the ratio
// of the medians.
double paired_ratio(const VariantFigures& f, const VariantFigures& reference) {
  VariantFigures ratios;
  for (size_t r = 0; r < f.seconds.size() && r < reference.seconds.size(); ++r)
    ratios.seconds.push_back(f.seconds[r] / reference.seconds[r]);
  return ratios.median();
}

}  // namespace

std::string format_environment_table(const std::vector<VariantFigures>& figures) {
  const auto reference = fastest_variant_by_load(figures);
  std::string out = fmt::format("{:<28} {:>5} {:>9} {:>11} {:>9}  {}\n", "variant", "load",
                                "median s", "vs fastest", "paired", "wall seconds per round");
  for (const auto& f : figures) {
    std::string rounds;
    for (const double s : f.seconds) rounds += fmt::format("{:.1f} ", s);
    out += fmt::format("{:<28} {:>5} {:>9.1f} {:>10.2f}x {:>8.2f}x  {}\n", f.name, f.load,
                       f.median(), f.median() / reference.at(f.load)->median(),
                       paired_ratio(f, *reference.at(f.load)), rounds);
  }
  out += "paired = median over rounds of the round's time over the fastest variant's\n";
  out += fmt::format("load = busy processes beside the run; machine: {}\n", cpu_info().describe());
  for (const auto& f : figures)
    if (f.load == figures.front().load) out += fmt::format("  {}: {}\n", f.name, f.blas);
  return out;
}

nlohmann::ordered_json environment_json(const std::vector<VariantFigures>& figures,
                                        const EnvironmentBenchmarkOptions& options) {
  const auto reference = fastest_variant_by_load(figures);
  const CpuInfo cpu = cpu_info();
  nlohmann::ordered_json rows = nlohmann::ordered_json::array();
  for (const auto& f : figures)
    rows.push_back({{"variant", f.name},
                    {"load", f.load},
                    {"median_seconds", f.median()},
                    {"ratio_to_fastest", f.median() / reference.at(f.load)->median()},
                    {"paired_ratio_to_fastest", paired_ratio(f, *reference.at(f.load))},
                    {"seconds", f.seconds},
                    {"max_rss_kib", f.max_rss_kib},
                    {"blas", f.blas}});
  return {{"scenario", options.scenario},
          {"overrides", options.overrides},
          {"rounds", options.rounds},
          {"cpu", cpu.model},
          {"instruction_sets", cpu.instruction_sets},
          {"unit", "wall seconds of one poisonsim run"},
          {"variants", rows}};
}

}  // namespace poisonsim::bench
