// `poisonsim bench`: speed measurements of parts of the deployed system, one sub-command each.
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include "sim/util/error.h"
#include "tools/bench/attack_benchmark.h"
#include "tools/bench/environment_benchmark.h"
#include "tools/bench/growth_benchmark.h"
#include "tools/bench/reference_benchmark.h"
#include "tools/bench/serving_benchmark.h"
#include "tools/bench/training_benchmark.h"
#include "tools/cli/commands.h"
#include "tools/cli/json_output.h"
#include "tools/cli/verb_table.h"

namespace poisonsim::cli {
namespace {

struct BenchServingOptions {
  bench::ServingBenchmarkOptions benchmark;
  std::string json_path;  // empty: no JSON file
  bool force = false;     // --force: replace an existing JSON file
};

void run_bench_serving(const BenchServingOptions& o, const GlobalOptions& global) {
  apply_global_options(global);
  o.benchmark.validate();
  JsonOutput json(o.json_path, o.force);
  const auto figures = bench::run_serving_benchmark(o.benchmark);
  json.print_table(bench::format_serving_table(figures, o.benchmark));
  json.write(bench::serving_json(figures, o.benchmark));
}

struct BenchAttackOptions {
  bench::AttackBenchmarkOptions benchmark;
  bool reference = false;
  bench::ReferenceBenchmarkOptions comparison;  // --reference's own settings
  bool group_sizes_given = false;
  std::string json_path;
  bool force = false;
};

// --reference: speed against the PyTorch reference instead of generation rate and potency.
void run_bench_reference(const BenchAttackOptions& o) {
  bench::ReferenceBenchmarkOptions c = o.comparison;
  c.n = o.benchmark.n;
  c.engines = o.benchmark.engines;
  if (o.group_sizes_given) c.group_sizes = o.benchmark.group_sizes;
  c.scenario = o.benchmark.scenario;
  c.overrides = o.benchmark.overrides;
  c.direct_params = o.benchmark.direct_params;
  c.generative_params = o.benchmark.generative_params;
  c.validate();
  JsonOutput json(o.json_path, o.force);
  const auto result = bench::run_reference_benchmark(c);
  json.print_table(bench::format_reference_table(result, c));
  json.write(bench::reference_json(result, c).dump(2) + "\n");
}

void run_bench_attacks(const BenchAttackOptions& o, const GlobalOptions& global) {
  apply_global_options(global);
  if (o.reference) return run_bench_reference(o);
  JsonOutput json(o.json_path, o.force);
  const auto rows = bench::run_attack_benchmark(o.benchmark);
  json.print_table(bench::format_attack_table(rows, o.benchmark));
  json.write(bench::attack_benchmark_json(rows, o.benchmark).dump(2) + "\n");
}

struct BenchEnvironmentOptions {
  BenchEnvironmentOptions() { benchmark.scenario = POISONSIM_QUICKSTART_PATH; }
  bench::EnvironmentBenchmarkOptions benchmark;
  std::vector<std::string> kernels = {"Prescott", "Haswell", "SkylakeX", "Cooperlake"};
  std::vector<int> train_threads = {1, 2};
  std::vector<std::string> wait_policies = {"passive", "active"};
  std::string json_path;
  bool force = false;
};

void run_bench_environment(const BenchEnvironmentOptions& o,
                           const std::vector<bench::EnvironmentVariant>& variants,
                           const GlobalOptions& global) {
  apply_global_options(global);
  o.benchmark.validate();
  JsonOutput json(o.json_path, o.force);
  const auto figures = bench::run_environment_benchmark(variants, o.benchmark);
  json.print_table(bench::format_environment_table(figures));
  json.write(bench::environment_json(figures, o.benchmark).dump(2) + "\n");
}

// The options `bench kernels` and `bench threads` share.
void add_environment_options(CLI::App* cmd, BenchEnvironmentOptions& o) {
  cmd->add_option("--scenario", o.benchmark.scenario, "Scenario to run (default: the quickstart)")
      ->capture_default_str();
  cmd->add_option("--set", o.benchmark.overrides,
                  "Override a scenario value in every run: key.path=value (repeatable)");
  cmd->add_option("--rounds", o.benchmark.rounds,
                  "Turns the variants take; each figure is the median over them")
      ->check(CLI::Range(1, 100))
      ->capture_default_str();
  cmd->add_option("--work-dir", o.benchmark.work_dir,
                  "Keep the runs' traces and logs here (default: a temporary directory)");
  cmd->add_option("--load", o.benchmark.loads,
                  "Busy processes beside the runs: one set of measurements per value")
      ->delimiter(',')
      ->check(CLI::Range(0, 64))
      ->capture_default_str();
  cmd->add_option("--json", o.json_path, "Also write the figures to this JSON file");
  cmd->add_flag("--force", o.force, "Replace the --json file if it exists");
}

// ---- bench training ----

struct BenchTrainingOptions {
  BenchTrainingOptions() { benchmark.scenario = POISONSIM_QUICKSTART_PATH; }
  bench::TrainingBenchmarkOptions benchmark;
  std::string json_path;
  bool force = false;
};

void run_bench_training(const BenchTrainingOptions& o, const GlobalOptions& global) {
  apply_global_options(global);
  o.benchmark.validate();
  JsonOutput json(o.json_path, o.force);
  const auto figures = bench::run_training_benchmark(o.benchmark);
  json.print_table(bench::format_training_table(figures));
  json.write(bench::training_json(figures).dump(2) + "\n");
}

void add_bench_training(CLI::App* cmd, const GlobalOptions& global) {
  auto o = std::make_shared<BenchTrainingOptions>();
  auto* training = cmd->add_subcommand(
      "training",
      "Samples/s of the simulation's retraining against a bare LibTorch loop on the same data, "
      "weights and settings, and the overhead between them");
  training
      ->add_option("--scenario", o->benchmark.scenario,
                   "Data, target, retrain options and compute.train_threads (default: the "
                   "quickstart)")
      ->capture_default_str();
  training->add_option("--set", o->benchmark.overrides,
                       "Override a scenario value: key.path=value (repeatable)");
  training
      ->add_option("--samples", o->benchmark.samples,
                   "Retraining set size (default: the scenario's retrain.buffer.capacity)")
      ->check(CLI::Range(int64_t{1}, int64_t{10000000}));
  training
      ->add_option("--rounds", o->benchmark.rounds,
                   "Turns each side takes; the overhead is the median over them")
      ->check(CLI::Range(1, 1000))
      ->capture_default_str();
  training->add_option("--json", o->json_path, "Also write the figures to this JSON file");
  training->add_flag("--force", o->force, "Replace the --json file if it exists");
  training->callback([o, &global] { run_bench_training(*o, global); });
}

// ---- bench growth ----

struct BenchGrowthOptions {
  BenchGrowthOptions() { benchmark.runs.scenario = POISONSIM_GROWTH_SCENARIO_PATH; }
  bench::GrowthBenchmarkOptions benchmark;
  std::string json_path;
  bool force = false;
};

void run_bench_growth(const BenchGrowthOptions& o, const GlobalOptions& global) {
  apply_global_options(global);
  o.benchmark.validate();
  JsonOutput json(o.json_path, o.force);
  const auto figures = bench::run_growth_benchmark(o.benchmark);
  json.print_table(bench::format_growth_table(figures));
  json.write(bench::growth_json(figures).dump(2) + "\n");
}

void add_bench_growth(CLI::App* cmd, const GlobalOptions& global) {
  auto o = std::make_shared<BenchGrowthOptions>();
  auto& b = o->benchmark;
  auto* growth = cmd->add_subcommand(
      "growth",
      "Wall time, peak memory and trace size of a scenario run at 1x, 4x, 16x stream volume "
      "(retraining buffer scaled alike), with the fitted exponent of wall time");
  growth
      ->add_option("--scenario", b.runs.scenario,
                   "Scenario to scale (default: scenarios/bench/growth.yaml)")
      ->capture_default_str();
  growth->add_option("--set", b.runs.overrides,
                     "Override a scenario value in every run: key.path=value (repeatable)");
  growth
      ->add_option("--scales", b.scales,
                   "Volume multipliers of arrival rates and buffer (at least two)")
      ->delimiter(',')
      ->check(CLI::Range(int64_t{1}, int64_t{4096}))
      ->capture_default_str();
  growth
      ->add_option("--rounds", b.runs.rounds,
                   "Turns the scales take; each figure is the median over them")
      ->check(CLI::Range(1, 100))
      ->capture_default_str();
  growth->add_option("--work-dir", b.runs.work_dir,
                     "Keep the runs' traces and logs here (default: a temporary directory)");
  growth->add_option("--json", o->json_path, "Also write the figures to this JSON file");
  growth->add_flag("--force", o->force, "Replace the --json file if it exists");
  growth->callback([o, &global] { run_bench_growth(*o, global); });
}

// ---- bench serving ----

void add_bench_serving(CLI::App* cmd, const GlobalOptions& global) {
  auto o = std::make_shared<BenchServingOptions>();
  auto* serving = cmd->add_subcommand(
      "serving",
      "Samples/s of LibTorch vs the oneDNN serving engine (f32, bf16) on the MLP and the CNN, "
      "at several batch sizes, each as a fraction of a oneDNN matmul peak measured in the run");
  serving->add_option("--batch,--batches", o->benchmark.batches, "Samples per call (a list)")
      ->delimiter(',')
      ->capture_default_str();
  serving
      ->add_option("--peak-size", o->benchmark.peak_size,
                   "Size n of the n x n x n matmul whose rate is the peak")
      ->capture_default_str();
  serving
      ->add_option("--seconds", o->benchmark.seconds,
                   "Measuring time of each figure (backend, model, batch), spread over the rounds")
      ->capture_default_str();
  serving
      ->add_option("--rounds", o->benchmark.rounds,
                   "Turns the figures take; each is the median over them")
      ->capture_default_str();
  serving->add_option("--json", o->json_path, "Also write the figures to this JSON file");
  serving->add_flag("--force", o->force, "Replace the --json file if it exists");
  serving->callback([o, &global] { run_bench_serving(*o, global); });
}

// ---- bench attacks ----

// --reference and the options only it reads. The potency options are excluded: --reference does
// not measure potency, so they would be silently ignored.
void add_reference_options(CLI::App* attacks, const std::shared_ptr<BenchAttackOptions>& a,
                           const std::vector<CLI::Option*>& potency_options) {
  auto* reference = attacks->add_flag(
      "--reference", a->reference,
      "Instead: speed of the direct method (per engine and group size), generative training "
      "and generation against a PyTorch reference of the same algorithms "
      "(python/reference/reference_attacks.py under /usr/bin/python3), same data, settings and "
      "threads, taking turns; prints and writes the ratios");
  for (auto* option : potency_options) reference->excludes(option);
  attacks->add_option("--rounds", a->comparison.rounds, "--reference: turns each side takes")
      ->check(CLI::Range(int64_t{1}, int64_t{100}))
      ->needs(reference)
      ->capture_default_str();
  attacks
      ->add_option("--groups", a->comparison.groups,
                   "--reference: direct-method groups per measurement (n = groups x group size)")
      ->check(CLI::Range(int64_t{1}, int64_t{10000}))
      ->needs(reference)
      ->capture_default_str();
  attacks->add_option("--rules", a->comparison.rules, "--reference: generative update rules")
      ->delimiter(',')
      ->check(CLI::IsMember({"first-order", "unrolled"}))
      ->needs(reference)
      ->capture_default_str();
  attacks
      ->add_flag(
          "--no-checks", [a](int64_t) { a->comparison.checks = false; },
          "--reference: skip the agreement checks before the timing")
      ->needs(reference);
  attacks
      ->add_option("--work-dir", a->comparison.work_dir,
                   "--reference: keep the data files handed to the reference here (default: a "
                   "temporary directory)")
      ->needs(reference);
}

void add_bench_attacks(CLI::App* cmd, const GlobalOptions& global) {
  auto a = std::make_shared<BenchAttackOptions>();
  auto* attacks = cmd->add_subcommand(
      "attacks",
      "Generation rate and potency of every attack (direct at several group sizes with both "
      "engines, generative with both rules, noise, label flipping) from the same seeds, with "
      "their ratios");
  attacks->add_option("--n", a->benchmark.n, "Poisoned samples per method")
      ->check(CLI::Range(int64_t{2}, int64_t{100000}))
      ->capture_default_str();
  attacks
      ->add_option("--group-sizes", a->benchmark.group_sizes,
                   "Direct-method group sizes (with --reference, default 1,10,100)")
      ->delimiter(',')
      ->check(CLI::Range(int64_t{1}, int64_t{100000}))
      ->each([a](const std::string&) { a->group_sizes_given = true; })
      ->capture_default_str();
  attacks
      ->add_option("--engines", a->benchmark.engines,
                   "Direct-method engines, each at every group size (factored: mlp targets)")
      ->delimiter(',')
      ->check(CLI::IsMember({"factored", "autograd"}))
      ->capture_default_str();
  auto* retrain_seeds =
      attacks->add_option("--retrain-seeds", a->benchmark.retrain_seeds, "Retraining shuffles")
          ->check(CLI::Range(int64_t{1}, int64_t{100}))
          ->capture_default_str();
  auto* mixed_ratio =
      attacks
          ->add_option("--mixed-ratio", a->benchmark.mixed_ratio, "Clean per poisoned, mixed case")
          ->check(CLI::Range(int64_t{0}, int64_t{100}))
          ->capture_default_str();
  attacks->add_option("--scenario", a->benchmark.scenario,
                      "Scenario for data, target, retraining and the guard whose detection is "
                      "measured (default: Fashion-MNIST and the quickstart's target, no guard)");
  attacks->add_option("--set", a->benchmark.overrides,
                      "Override a scenario value: key.path=value (repeatable)");
  auto* poison_dir = attacks->add_option(
      "--poison-dir", a->benchmark.poison_dir,
      "Also write every method's poison set (as `attack -o`) to this directory");
  attacks->add_option("--direct-param", a->benchmark.direct_params,
                      "A setting of the direct attacker, key=value as in `attack --param` "
                      "(repeatable)");
  attacks->add_option("--generative-param", a->benchmark.generative_params,
                      "A setting of the generative attacker, key=value (repeatable)");
  attacks->add_option("--json", a->json_path, "Also write the figures to this JSON file");
  attacks->add_flag("--force", a->force, "Replace the --json file if it exists");
  add_reference_options(attacks, a, {retrain_seeds, mixed_ratio, poison_dir});
  attacks->callback([a, &global] { run_bench_attacks(*a, global); });
}

// ---- bench kernels, bench numerics, bench threads ----

// A `bench` verb that runs a scenario under environment variants, which `variants` makes from
// the options when the verb runs.
CLI::App* add_environment_bench(CLI::App* cmd, const char* name, const char* description,
                                const std::shared_ptr<BenchEnvironmentOptions>& o,
                                const GlobalOptions& global,
                                std::function<std::vector<bench::EnvironmentVariant>()> variants) {
  auto* bench = cmd->add_subcommand(name, description);
  add_environment_options(bench, *o);
  bench->callback([o, &global, variants] { run_bench_environment(*o, variants(), global); });
  return bench;
}

void add_bench_kernels(CLI::App* cmd, const GlobalOptions& global) {
  auto k = std::make_shared<BenchEnvironmentOptions>();
  auto* kernels = add_environment_bench(
      cmd, "kernels",
      "Wall time of a scenario run in native numerics with poisonsim's choice of OpenBLAS "
      "kernel against each kernel forced with OPENBLAS_CORETYPE",
      k, global, [k] { return bench::kernel_variants(k->kernels); });
  kernels->add_option("--kernels", k->kernels, "OpenBLAS kernels to compare")
      ->delimiter(',')
      ->capture_default_str();
}

void add_bench_numerics(CLI::App* cmd, const GlobalOptions& global) {
  add_environment_bench(cmd, "numerics",
                        "Wall time of a scenario run in portable numerics (the same numbers on "
                        "every x86-64-v3 CPU) against native (each library's fastest code for "
                        "this CPU)",
                        std::make_shared<BenchEnvironmentOptions>(), global,
                        [] { return bench::numerics_variants(); });
}

void add_bench_threads(CLI::App* cmd, const GlobalOptions& global) {
  auto t = std::make_shared<BenchEnvironmentOptions>();
  t->benchmark.loads = {0, 2};
  auto* threads = add_environment_bench(
      cmd, "threads",
      "Wall time of a scenario run by training threads and OpenMP wait policy, on a quiet "
      "machine and beside busy processes",
      t, global, [t] { return bench::thread_variants(t->train_threads, t->wait_policies); });
  threads->add_option("--train-threads", t->train_threads, "compute.train_threads values")
      ->delimiter(',')
      ->check(CLI::Range(1, 256))
      ->capture_default_str();
  threads->add_option("--wait-policies", t->wait_policies, "OMP_WAIT_POLICY values")
      ->delimiter(',')
      ->check(CLI::IsMember({"passive", "active"}))
      ->capture_default_str();
}

}  // namespace

void add_bench_command(CLI::App& app, const GlobalOptions& global) {
  auto* cmd = app.add_subcommand("bench", verb_summary("bench"));
  cmd->require_subcommand(1);
  // `poisonsim --help-all` lists the verbs' options but not the sub-verbs' (CLI11 expands one
  // level): this lists every bench's.
  cmd->set_help_all_flag("--help-all", "Print the help of every bench and exit");
  add_bench_serving(cmd, global);
  add_bench_attacks(cmd, global);
  add_bench_kernels(cmd, global);
  add_bench_numerics(cmd, global);
  add_bench_threads(cmd, global);
  add_bench_training(cmd, global);
  add_bench_growth(cmd, global);
  add_bench_defenses(cmd, global);
  add_bench_generator(cmd, global);
  add_bench_startup(cmd, global);
}

}  // namespace poisonsim::cli
