// `poisonsim bench defenses`: each guard stage's cost per retraining window, against the
// retraining it guards (tools/bench/defense_benchmark.h).
#include <memory>
#include <string>

#include "tools/bench/defense_benchmark.h"
#include "tools/cli/commands.h"
#include "tools/cli/json_output.h"

namespace poisonsim::cli {
namespace {

struct BenchDefensesOptions {
  BenchDefensesOptions() { benchmark.scenario = POISONSIM_QUICKSTART_PATH; }
  bench::DefenseBenchmarkOptions benchmark;
  std::string json_path;
  bool force = false;
};

void run_bench_defenses(const BenchDefensesOptions& o, const GlobalOptions& global) {
  apply_global_options(global);
  o.benchmark.validate();
  JsonOutput json(o.json_path, o.force);
  const auto figures = bench::run_defense_benchmark(o.benchmark);
  json.print_table(bench::format_defense_table(figures));
  json.write(bench::defense_json(figures).dump(2) + "\n");
}

}  // namespace

void add_bench_defenses(CLI::App* cmd, const GlobalOptions& global) {
  auto o = std::make_shared<BenchDefensesOptions>();
  auto* defenses = cmd->add_subcommand(
      "defenses",
      "Seconds per retraining window of each guard stage (bank preparation included) against "
      "the retraining it guards, samples/s, and each bank's memory");
  defenses
      ->add_option("--scenario", o->benchmark.scenario,
                   "Data, target and retrain options (default: the quickstart)")
      ->capture_default_str();
  defenses->add_option("--set", o->benchmark.overrides,
                       "Override a scenario value: key.path=value (repeatable)");
  defenses->add_option("--window", o->benchmark.window, "Samples per window")
      ->check(CLI::Range(int64_t{1}, int64_t{10000000}))
      ->capture_default_str();
  defenses->add_option("--batch", o->benchmark.batch, "Samples per arrival batch")
      ->check(CLI::Range(int64_t{1}, int64_t{100000}))
      ->capture_default_str();
  defenses
      ->add_option("--stage", o->benchmark.stages,
                   "A guard stage as YAML, e.g. '{type: knn, k: 10}' (repeatable; default: "
                   "every stage type)")
      ->take_all();
  defenses
      ->add_option("--sanitizer", o->benchmark.sanitizers,
                   "A window sanitizer (`sanitize:` stage) as YAML, e.g. '{type: spectral}' "
                   "(repeatable; default: every sanitizer type)")
      ->take_all();
  defenses->add_option("--rounds", o->benchmark.rounds, "Turns each part takes; medians over them")
      ->check(CLI::Range(1, 1000))
      ->capture_default_str();
  defenses->add_option("--json", o->json_path, "Also write the figures to this JSON file");
  defenses->add_flag("--force", o->force, "Replace the --json file if it exists");
  defenses->callback([o, &global] { run_bench_defenses(*o, global); });
}

}  // namespace poisonsim::cli
