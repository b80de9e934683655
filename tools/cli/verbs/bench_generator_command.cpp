// `poisonsim bench generator`: G's training against the machine's roof
// (tools/bench/generator_roofline.h).
#include <memory>
#include <string>

#include "tools/bench/generator_roofline.h"
#include "tools/cli/commands.h"
#include "tools/cli/json_output.h"

namespace poisonsim::cli {
namespace {

struct BenchGeneratorOptions {
  bench::GeneratorRooflineOptions benchmark;
  std::string json_path;
  bool force = false;
};

void run_bench_generator(const BenchGeneratorOptions& o, const GlobalOptions& global) {
  apply_global_options(global);
  o.benchmark.validate();
  JsonOutput json(o.json_path, o.force);
  const auto results = bench::run_generator_roofline(o.benchmark);
  json.print_table(bench::format_generator_roofline(results, o.benchmark));
  json.write(bench::generator_roofline_json(results, o.benchmark).dump(2) + "\n");
}

}  // namespace

void add_bench_generator(CLI::App* cmd, const GlobalOptions& global) {
  auto o = std::make_shared<BenchGeneratorOptions>();
  auto* generator = cmd->add_subcommand(
      "generator",
      "G's training against the roof: seconds, samples/s, FLOPs counted by LibTorch's profiler "
      "and GFLOP/s for each rule and target kind, against a large matmul's peak and LibTorch's "
      "matrix product at G's shapes, measured in the same run; and where the time goes, "
      "operator by operator");
  generator->add_option("--scenario", o->benchmark.scenario,
                        "Data, target and retrain options (default: the quickstart's)");
  generator->add_option("--set", o->benchmark.overrides,
                        "Override a scenario value: key.path=value (repeatable)");
  generator->add_option("--rules", o->benchmark.rules, "Update rules: first-order, unrolled")
      ->delimiter(',')
      ->capture_default_str();
  generator
      ->add_option("--targets", o->benchmark.targets,
                   "Target kinds: mlp (the scenario's model), cnn (model.kind=cnn, pretrained "
                   "and cached on first use)")
      ->delimiter(',')
      ->capture_default_str();
  generator->add_option("--param", o->benchmark.generative_params,
                        "A generative setting for every run, key=value (repeatable), e.g. "
                        "--param steps=100");
  generator->add_option("--n", o->benchmark.n, "Poisoned samples per generation")
      ->check(CLI::Range(int64_t{1}, int64_t{1000000}))
      ->capture_default_str();
  generator->add_option("--rounds", o->benchmark.rounds, "Timed generations per row; medians")
      ->check(CLI::Range(1, 100))
      ->capture_default_str();
  generator->add_option("--peak-size", o->benchmark.peak_size, "Side of the peak matmul")
      ->check(CLI::Range(int64_t{64}, int64_t{8192}))
      ->capture_default_str();
  generator->add_option("--json", o->json_path, "Also write the figures to this JSON file");
  generator->add_flag("--force", o->force, "Replace the --json file if it exists");
  generator->callback([o, &global] { run_bench_generator(*o, global); });
}

}  // namespace poisonsim::cli
