// `poisonsim bench startup`: the seconds a command costs before it does anything, through the
// light front and through the engine alone (tools/bench/startup_benchmark.h).
#include <memory>
#include <string>

#include "tools/bench/startup_benchmark.h"
#include "tools/cli/commands.h"
#include "tools/cli/json_output.h"

namespace poisonsim::cli {
namespace {

struct BenchStartupOptions {
  BenchStartupOptions() { benchmark.scenario = POISONSIM_QUICKSTART_PATH; }
  bench::StartupBenchmarkOptions benchmark;
  std::string json_path;
  bool force = false;
};

void run_bench_startup(const BenchStartupOptions& o, const GlobalOptions& global) {
  apply_global_options(global);
  o.benchmark.validate();
  JsonOutput json(o.json_path, o.force);
  const auto cases = bench::run_startup_benchmark(o.benchmark);
  json.print_table(bench::format_startup_table(cases));
  json.write(bench::startup_json(cases, o.benchmark).dump(2) + "\n");
}

}  // namespace

void add_bench_startup(CLI::App* cmd, const GlobalOptions& global) {
  auto o = std::make_shared<BenchStartupOptions>();
  auto* startup = cmd->add_subcommand(
      "startup",
      "Seconds before a command does anything: --help, inspect and validate through poisonsim "
      "(the light front) against poisonsim-engine alone, from a fresh environment");
  startup->add_option("--scenario", o->benchmark.scenario, "Scenario for `validate`")
      ->capture_default_str();
  startup->add_option("--trace", o->benchmark.trace,
                      "Trace for `inspect` (e.g. runs/quickstart.h5; without it, no inspect)");
  startup->add_option("--rounds", o->benchmark.rounds, "Turns each command takes; medians")
      ->check(CLI::Range(1, 1000))
      ->capture_default_str();
  startup->add_option("--json", o->json_path, "Also write the figures to this JSON file");
  startup->add_flag("--force", o->force, "Replace the --json file if it exists");
  startup->callback([o, &global] { run_bench_startup(*o, global); });
}

}  // namespace poisonsim::cli
