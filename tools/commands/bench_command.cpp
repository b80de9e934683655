// `poisonsim bench`: speed measurements of parts of the deployed system, one sub-command each.
#include <fstream>
#include <memory>

#include <fmt/format.h>

#include "sim/error.h"
#include "tools/bench/attack_benchmark.h"
#include "tools/bench/serving_benchmark.h"
#include "tools/commands/commands.h"

namespace poisonsim::cli {
namespace {

struct BenchServingOptions {
  bench::ServingBenchmarkOptions benchmark;
  std::string json_path;  // empty: no JSON file
};

void run_bench_serving(const BenchServingOptions& o, const GlobalOptions& global) {
  apply_global_options(global);
  o.benchmark.validate();
  // Opened first, so a bad path fails before the measuring, not after it.
  std::ofstream out;
  if (!o.json_path.empty()) {
    out.open(o.json_path);
    if (!out) throw UserError(o.json_path, "cannot write the JSON file");
  }
  const auto figures = bench::run_serving_benchmark(o.benchmark);
  fmt::print("{}", bench::format_serving_table(figures, o.benchmark));
  if (o.json_path.empty()) return;
  out << bench::serving_json(figures, o.benchmark);
  out.close();
  if (!out) throw UserError(o.json_path, "cannot write the JSON file");
  fmt::print("figures written to {}\n", o.json_path);
}

struct BenchAttackOptions {
  bench::AttackBenchmarkOptions benchmark;
  std::string json_path;
};

void run_bench_attacks(const BenchAttackOptions& o, const GlobalOptions& global) {
  apply_global_options(global);
  std::ofstream out;
  if (!o.json_path.empty()) {
    out.open(o.json_path);
    if (!out) throw UserError(o.json_path, "cannot write the JSON file");
  }
  const auto rows = bench::run_attack_benchmark(o.benchmark);
  fmt::print("{}", bench::format_attack_table(rows, o.benchmark));
  if (o.json_path.empty()) return;
  out << bench::attack_benchmark_json(rows, o.benchmark).dump(2) << "\n";
  out.close();
  if (!out) throw UserError(o.json_path, "cannot write the JSON file");
  fmt::print("figures written to {}\n", o.json_path);
}

}  // namespace

void add_bench_command(CLI::App& app, const GlobalOptions& global) {
  auto* cmd = app.add_subcommand("bench", "Measure the speed of parts of the system");
  cmd->require_subcommand(1);

  auto o = std::make_shared<BenchServingOptions>();
  auto* serving = cmd->add_subcommand(
      "serving",
      "Samples/s of LibTorch vs the oneDNN serving engine (f32, bf16) on the MLP and "
      "the CNN");
  serving->add_option("--batch", o->benchmark.batch, "Samples per call")->capture_default_str();
  serving
      ->add_option("--seconds", o->benchmark.seconds,
                   "Measuring time per backend and model, spread over the rounds")
      ->capture_default_str();
  serving
      ->add_option("--rounds", o->benchmark.rounds,
                   "Turns the backends take; each figure is the median over them")
      ->capture_default_str();
  serving->add_option("--json", o->json_path, "Also write the figures to this JSON file");
  serving->callback([o, &global] { run_bench_serving(*o, global); });

  auto a = std::make_shared<BenchAttackOptions>();
  auto* attacks = cmd->add_subcommand(
      "attacks",
      "Generation rate and potency of every attack (direct at several group sizes with both "
      "engines, generative with both rules, noise, label flipping) from the same seeds, with "
      "their ratios");
  attacks->add_option("--n", a->benchmark.n, "Poisoned samples per method")
      ->check(CLI::Range(int64_t{2}, int64_t{100000}))
      ->capture_default_str();
  attacks->add_option("--group-sizes", a->benchmark.group_sizes, "Direct-method group sizes")
      ->delimiter(',')
      ->check(CLI::Range(int64_t{1}, int64_t{100000}))
      ->capture_default_str();
  attacks
      ->add_option("--engines", a->benchmark.engines,
                   "Direct-method engines, each at every group size (factored: mlp targets)")
      ->delimiter(',')
      ->check(CLI::IsMember({"factored", "autograd"}))
      ->capture_default_str();
  attacks->add_option("--retrain-seeds", a->benchmark.retrain_seeds, "Retraining shuffles")
      ->check(CLI::Range(int64_t{1}, int64_t{100}))
      ->capture_default_str();
  attacks->add_option("--mixed-ratio", a->benchmark.mixed_ratio, "Clean per poisoned, mixed case")
      ->check(CLI::Range(int64_t{0}, int64_t{100}))
      ->capture_default_str();
  attacks->add_option("--scenario", a->benchmark.scenario,
                      "Scenario for data, target, retraining and the guard whose detection is "
                      "measured (default: Fashion-MNIST and the quickstart's target, no guard)");
  attacks->add_option("--set", a->benchmark.overrides,
                      "Override a scenario value: key.path=value (repeatable)");
  attacks->add_option("--poison-dir", a->benchmark.poison_dir,
                      "Also write every method's poison set (as `attack -o`) to this directory");
  attacks->add_option("--json", a->json_path, "Also write the figures to this JSON file");
  attacks->callback([a, &global] { run_bench_attacks(*a, global); });
}

}  // namespace poisonsim::cli
