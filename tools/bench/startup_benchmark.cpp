#include "tools/bench/startup_benchmark.h"

#include <unistd.h>

#include <filesystem>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "sim/util/error.h"
#include "sim/util/file_checks.h"
#include "tools/bench/bench_median.h"
#include "tools/bench/environment_benchmark.h"

namespace poisonsim::bench {
namespace {

namespace fs = std::filesystem;

struct Program {
  std::string label;  // "front" or "engine"
  std::string path;
};

// The wall seconds of `program command_args` from a fresh environment; its output goes to `log`.
double time_command(const Program& program, const std::vector<std::string>& command_args,
                    const std::string& log) {
  std::vector<std::string> argv = {program.path};
  argv.insert(argv.end(), command_args.begin(), command_args.end());
  const FinishedChild child = run_from_fresh_environment(argv, {}, log);
  if (child.exit_code != 0)
    throw UserError(program.path, fmt::format("`{}` failed (exit code {}); its output is in {}",
                                              fmt::join(command_args, " "), child.exit_code, log));
  return child.seconds;
}

}  // namespace

void StartupBenchmarkOptions::validate() const {
  if (rounds < 1) throw UserError("--rounds", "expected at least 1");
  if (!trace.empty()) require_regular_file(trace, "a trace file (--trace)");
  require_regular_file(scenario, "a YAML scenario file (--scenario)");
}

double StartupCase::front_median() const { return median(front_seconds); }
double StartupCase::engine_median() const { return median(engine_seconds); }

std::vector<StartupCase> run_startup_benchmark(const StartupBenchmarkOptions& options) {
  options.validate();
  const fs::path directory = fs::path(own_executable()).parent_path();
  const Program front{"front", (directory / "poisonsim").string()};
  const Program engine{"engine", own_executable()};
  const fs::path logs = fs::temp_directory_path() / fmt::format("poisonsim-startup-{}", getpid());
  fs::create_directories(logs);
  std::vector<std::pair<StartupCase, std::vector<std::string>>> cases = {
      {{"--help", {}, {}}, {"--help"}}, {{"validate", {}, {}}, {"validate", options.scenario}}};
  if (!options.trace.empty())
    cases.insert(cases.begin() + 1, {{"inspect", {}, {}}, {"inspect", options.trace}});
  const auto log_of = [&](const std::string& name) { return (logs / (name + ".log")).string(); };
  spdlog::info("bench: warm-up (page cache; not counted)");
  for (const auto& [c, args] : cases)
    for (const Program* program : {&front, &engine})
      time_command(*program, args, log_of("warm-up"));
  for (int round = 0; round < options.rounds; ++round)
    for (auto& [c, args] : cases) {
      // Alternate which side goes first, so neither always runs on a warmer machine.
      const bool front_first = round % 2 == 0;
      for (const Program* program :
           front_first ? std::vector{&front, &engine} : std::vector{&engine, &front}) {
        const double seconds = time_command(*program, args, log_of(program->label));
        (program == &front ? c.front_seconds : c.engine_seconds).push_back(seconds);
      }
      spdlog::info("bench: round {}/{}: {}: front {:.3f} s, engine alone {:.3f} s", round + 1,
                   options.rounds, c.command, c.front_seconds.back(), c.engine_seconds.back());
    }
  std::error_code ec;
  fs::remove_all(logs, ec);
  std::vector<StartupCase> out;
  for (auto& entry : cases) out.push_back(std::move(entry.first));
  return out;
}

std::string format_startup_table(const std::vector<StartupCase>& cases) {
  std::string text = fmt::format("{:<10} {:>12} {:>14} {:>8}\n", "command", "poisonsim s",
                                 "engine alone s", "ratio");
  for (const auto& c : cases)
    text += fmt::format("{:<10} {:>12.3f} {:>14.3f} {:>7.1f}x\n", c.command, c.front_median(),
                        c.engine_median(), c.engine_median() / c.front_median());
  text +=
      "medians over the rounds; ratio: engine alone / poisonsim (the engine alone loads the "
      "numeric libraries twice, as every command did before the light front)\n";
  return text;
}

nlohmann::ordered_json startup_json(const std::vector<StartupCase>& cases,
                                    const StartupBenchmarkOptions& options) {
  nlohmann::ordered_json rows = nlohmann::ordered_json::array();
  for (const auto& c : cases)
    rows.push_back({{"command", c.command},
                    {"poisonsim_seconds", c.front_seconds},
                    {"engine_alone_seconds", c.engine_seconds},
                    {"poisonsim_median", c.front_median()},
                    {"engine_alone_median", c.engine_median()},
                    {"ratio", c.engine_median() / c.front_median()}});
  return {{"benchmark", "startup"},
          {"scenario", options.scenario},
          {"trace", options.trace},
          {"rounds", options.rounds},
          {"cases", rows}};
}

}  // namespace poisonsim::bench
