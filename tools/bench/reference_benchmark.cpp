#include "tools/bench/reference_benchmark.h"

#include "tools/bench/bench_median.h"

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <functional>
#include <memory>
#include <string>
#include <utility>

#include <stdlib.h>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "attackers/baselines/label_flip.h"
#include "pipeline/runtime/compute_threads.h"
#include "pipeline/runtime/numeric_runtime.h"
#include "sim/kernel/random_stream.h"
#include "sim/util/error.h"
#include "tools/bench/reference_checks.h"
#include "tools/bench/reference_process.h"
#include "tools/bench/reference_setup.h"

namespace poisonsim::bench {
namespace {

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

// The 1-minute load average (/proc/loadavg), -1 when it cannot be read.
double load_average() {
  std::ifstream in("/proc/loadavg");
  double load = -1;
  in >> load;
  return load;
}

// A directory for the data file: the user's, or a fresh one removed at the end.
class WorkDir {
 public:
  explicit WorkDir(const std::string& dir) {
    if (!dir.empty()) {
      path_ = dir;
      std::error_code ec;
      std::filesystem::create_directories(path_, ec);
      if (ec || !std::filesystem::is_directory(path_))
        throw UserError(dir, "cannot create the directory for the reference's data");
      return;
    }
    std::string pattern =
        (std::filesystem::temp_directory_path() / "poisonsim-reference-XXXXXX").string();
    if (!mkdtemp(pattern.data())) throw UserError(pattern, "cannot create a temporary directory");
    path_ = pattern;
    owned_ = true;
  }
  ~WorkDir() {
    std::error_code ec;
    if (owned_) std::filesystem::remove_all(path_, ec);
  }
  std::string file(const std::string& name) const { return (path_ / name).string(); }

 private:
  std::filesystem::path path_;
  bool owned_ = false;
};

// One side's turn: returns the figure it measured (samples/s or seconds).
using Turn = std::function<double()>;

struct Measurement {
  ReferenceCell* cell;
  bool poisonsim_side;
  Turn turn;
};

// Runs every turn of a round; the order is reversed every other round, so that neither side
// always goes first after the other.
void run_round(std::vector<Measurement>& turns, int64_t round) {
  const auto run = [](Measurement& m) {
    const double value = m.turn();
    (m.poisonsim_side ? m.cell->poisonsim : m.cell->python).push_back(value);
  };
  if (round % 2 == 0)
    std::for_each(turns.begin(), turns.end(), run);
  else
    std::for_each(turns.rbegin(), turns.rend(), run);
}

void finish(ReferenceCell& cell) {
  const bool rate = cell.unit != "s";
  const auto ratio = [rate](double ours, double theirs) {
    if (!(ours > 0) || !(theirs > 0)) return 0.0;
    return rate ? ours / theirs : theirs / ours;
  };
  cell.ratio = ratio(median(cell.poisonsim), median(cell.python));
  for (size_t r = 0; r < std::min(cell.poisonsim.size(), cell.python.size()); ++r)
    cell.ratio_by_round.push_back(ratio(cell.poisonsim[r], cell.python[r]));
}

ReferenceCell new_cell(std::string name, std::string reference, std::string unit, int64_t n) {
  ReferenceCell cell;
  cell.name = std::move(name);
  cell.reference = std::move(reference);
  cell.unit = std::move(unit);
  cell.n = n;
  return cell;
}

// The cells, and the turns that fill them. The turns point into `cells`, whose capacity is
// reserved before the first cell is added so that it never moves.
struct MeasurementPlan {
  std::vector<ReferenceCell> cells;
  std::vector<Measurement> turns;
};

// The first n seeds, shared by every turn that needs them.
std::shared_ptr<Dataset> first_seeds(const Dataset& seeds, int64_t n) {
  std::vector<size_t> first(static_cast<size_t>(n));
  for (size_t i = 0; i < first.size(); ++i) first[i] = i;
  return std::make_shared<Dataset>(seeds.subset(first, seeds.name));
}

// Per group size: one poisonsim turn per engine that applies, and one reference turn (the
// reference has only autograd) whose rate fills every engine's cell of that group size. The
// turns keep references to `setup`, `problem` and `reference`.
void add_direct_turns(MeasurementPlan& plan, const ReferenceBenchmarkOptions& options,
                      const ReferenceSetup& setup, const ModelSpec& spec, const Dataset& seeds,
                      const AttackProblem& problem, ReferenceProcess& reference) {
  for (int64_t group : options.group_sizes) {
    DirectOptions o = setup.direct;
    o.group_size = group;
    const int64_t n = group * options.groups;
    const auto group_seeds = first_seeds(seeds, n);
    const std::string reference_name = fmt::format("direct g={} autograd", group);
    std::vector<ReferenceCell*> group_cells;
    for (const auto& engine : options.engines) {
      o.engine = parse_direct_engine(engine, "--engines");
      if (o.engine == DirectEngine::factored && !factored_engine_applies(o, spec)) continue;
      plan.cells.push_back(
          new_cell(fmt::format("direct g={} {}", group, engine), reference_name, "samples/s", n));
      group_cells.push_back(&plan.cells.back());
      plan.turns.push_back({&plan.cells.back(), true, [o, group_seeds, &problem, &setup] {
                              RandomStream rng(setup.seed, "bench/reference/direct");
                              const auto start = std::chrono::steady_clock::now();
                              direct_gradient_attack(problem, *group_seeds, o, rng);
                              return static_cast<double>(group_seeds->size()) /
                                     seconds_since(start);
                            }});
    }
    if (group_cells.empty()) continue;  // no engine applies: nothing to compare
    const nlohmann::json request = {{"cell", "direct"},
                                    {"n", n},
                                    {"options", reference_options(o)},
                                    {"retrain_lr", setup.direct_lr}};
    plan.turns.push_back({group_cells.front(), false, [request, group_cells, &reference] {
                            const double rate =
                                reference.request(request).at("samples_per_second").get<double>();
                            for (size_t i = 1; i < group_cells.size(); ++i)
                              group_cells[i]->python.push_back(rate);
                            return rate;
                          }});
  }
}

// Per rule: training G and then generating with the G just trained make one turn of each side
// (two cells). Both sides build G from `generator_stream`'s first draw. The turns keep
// references to `problem`, `pool` and `reference`.
void add_generative_turns(MeasurementPlan& plan, const ReferenceBenchmarkOptions& options,
                          const ReferenceSetup& setup, const Dataset& seeds,
                          const RandomStream& generator_stream, const AttackProblem& problem,
                          const Dataset& pool, ReferenceProcess& reference) {
  const auto generation_seeds = first_seeds(seeds, options.n);
  for (const auto& rule : options.rules) {
    GenerativeOptions o = setup.generative;
    o.rule = parse_generative_rule(rule, "--rules");
    const std::string training_name = fmt::format("generative {} training", rule);
    plan.cells.push_back(new_cell(training_name, training_name, "s", o.steps));
    auto* training = &plan.cells.back();
    const std::string generation_name = fmt::format("generative {} generation", rule);
    plan.cells.push_back(new_cell(generation_name, generation_name, "samples/s", options.n));
    auto* generation = &plan.cells.back();
    plan.turns.push_back(
        {training, true, [o, generation, generation_seeds, generator_stream, &problem, &pool] {
           GenerativeAttack attack;
           RandomStream rng = generator_stream;
           auto start = std::chrono::steady_clock::now();
           attack.train(problem, pool, o, rng);
           const double train_seconds = seconds_since(start);
           start = std::chrono::steady_clock::now();
           attack.generate(*generation_seeds, rng);
           generation->poisonsim.push_back(static_cast<double>(generation_seeds->size()) /
                                           seconds_since(start));
           return train_seconds;
         }});
    const nlohmann::json train_request = {{"cell", "generative-train"},
                                          {"options", reference_options(o)},
                                          {"retrain_lr", setup.generative_lr}};
    const nlohmann::json generate_request = {
        {"cell", "generate"}, {"n", options.n}, {"labels", to_string(o.labels)}};
    plan.turns.push_back(
        {training, false, [train_request, generate_request, generation, &reference] {
           const double seconds = reference.request(train_request).at("seconds").get<double>();
           generation->python.push_back(
               reference.request(generate_request).at("samples_per_second").get<double>());
           return seconds;
         }});
  }
}

// Runs every round; returns the load average before the first (`load_before`) and after each.
std::vector<double> run_rounds(std::vector<Measurement>& turns, int64_t rounds,
                               double load_before) {
  std::vector<double> loads{load_before};
  for (int64_t round = 0; round < rounds; ++round) {
    spdlog::info("bench attacks --reference: round {}/{}", round + 1, rounds);
    run_round(turns, round);
    loads.push_back(load_average());
  }
  return loads;
}

nlohmann::json environment_json(const ReferenceSetup& setup, const ReferenceProcess& reference,
                                const std::vector<double>& loads) {
  return {{"cpu", cpu_info().model},
          {"blas", blas_info().describe()},
          {"blas_kernel", blas_info().kernel},
          {"threads", setup.threads},
          {"reference_python", reference_python()},
          {"reference_script", reference_script()},
          {"reference_torch", reference.hello().value("torch", "")},
          {"reference_threads", reference.hello().value("threads", 0)},
          {"libtorch", libtorch_version()},
          {"load_average_1min", loads}};
}

nlohmann::json settings_json(const ReferenceSetup& setup) {
  return {{"direct", reference_options(setup.direct)},
          {"direct_retrain_lr", setup.direct_lr},
          {"generative", reference_options(setup.generative)},
          {"generative_retrain_lr", setup.generative_lr}};
}

}  // namespace

void ReferenceBenchmarkOptions::validate() const {
  if (n < 1) throw UserError("--n", "expected at least 1 sample");
  if (groups < 1) throw UserError("--groups", "expected at least 1 group per measurement");
  if (rounds < 1) throw UserError("--rounds", "expected at least 1 round");
  if (group_sizes.empty()) throw UserError("--group-sizes", "expected at least one group size");
  for (const auto& rule : rules) parse_generative_rule(rule, "--rules");
  for (const auto& engine : engines) parse_direct_engine(engine, "--engines");
}

ReferenceResult run_reference_benchmark(const ReferenceBenchmarkOptions& options) {
  options.validate();
  check_reference_interpreter();
  AttackSession session(options.scenario, options.overrides);
  ReferenceSetup setup =
      make_reference_setup(session, options.direct_params, options.generative_params);
  set_torch_threads(setup.threads);
  const int64_t largest_group =
      *std::max_element(options.group_sizes.begin(), options.group_sizes.end());
  const int64_t seed_count = std::max(options.n, largest_group * options.groups);
  const Dataset seeds = session.seeds(seed_count);

  WorkDir dir(options.work_dir);
  const std::string data_path = dir.file("reference-data.h5");
  // Both sides build G from this stream's first draw.
  const RandomStream generator_stream(setup.seed, "bench/reference/generative");
  write_reference_data(data_path, setup, seed_count, RandomStream(generator_stream).next_u64());
  ReferenceProcess reference(data_path, setup.threads);
  spdlog::info("bench attacks --reference: PyTorch {} (Python {}), {} threads on both sides",
               reference.hello().value("torch", "?"), reference.hello().value("python", "?"),
               setup.threads);

  ReferenceResult result;
  const double load_before = load_average();
  if (options.checks)
    result.checks =
        run_reference_checks(setup, reference, options.engines, options.rules, dir.file(""));

  MeasurementPlan plan;
  plan.cells.reserve(options.group_sizes.size() * (options.engines.size() + 1) +
                     2 * options.rules.size());
  // The turns refer to both problems: they live until the last round.
  const AttackProblem direct_problem{session.model(), session.data().attacker_validation,
                                     setup.direct_lr};
  add_direct_turns(plan, options, setup, session.model().spec(), seeds, direct_problem, reference);
  const AttackProblem generative_problem{session.model(), session.data().attacker_validation,
                                         setup.generative_lr};
  add_generative_turns(plan, options, setup, seeds, generator_stream, generative_problem,
                       session.data().attacker_pool, reference);

  const std::vector<double> loads = run_rounds(plan.turns, options.rounds, load_before);
  for (auto& cell : plan.cells) finish(cell);
  result.cells = std::move(plan.cells);
  result.environment = environment_json(setup, reference, loads);
  result.settings = settings_json(setup);
  return result;
}

std::string format_reference_table(const ReferenceResult& result,
                                   const ReferenceBenchmarkOptions& options) {
  const auto& env = result.environment;
  const auto& s = result.settings;
  std::string out = fmt::format(
      "poisonsim against the PyTorch reference (python/reference/reference_attacks.py, torch {}), "
      "same data, settings and threads ({}), {} rounds taking turns; medians\n"
      "CPU: {}\nBLAS: {}\n",
      env.value("reference_torch", "?"), env.value("threads", 0), options.rounds,
      env.value("cpu", "?"), env.value("blas", "?"));
  if (!result.checks.empty()) {
    out += "\nagreement (same start, both sides):\n";
    for (const auto& c : result.checks)
      out += fmt::format("  {:<58} max |diff| {:.2g} (moved {:.2g}), objective {:.2g}: {}\n",
                         c.what, c.max_abs_diff, c.max_abs_change, c.max_value_diff,
                         c.agree ? "agree" : "DIFFER");
  }
  out += fmt::format("\n{:<36} {:>9} {:>12} {:>12} {:>8}  {}\n", "measurement", "unit", "poisonsim",
                     "reference", "ratio", "per round");
  for (const auto& c : result.cells) {
    std::vector<std::string> rounds;
    for (double r : c.ratio_by_round) rounds.push_back(fmt::format("{:.2f}", r));
    const bool factored = c.name != c.reference;
    out += fmt::format("{:<36} {:>9} {:>12.4g} {:>12.4g} {:>7.2f}x  {}{}\n", c.name, c.unit,
                       median(c.poisonsim), median(c.python), c.ratio, fmt::join(rounds, " "),
                       factored ? fmt::format("  (vs reference {})", c.reference) : "");
  }
  std::vector<std::string> loads;
  for (const auto& l : env.at("load_average_1min"))
    loads.push_back(fmt::format("{:.1f}", l.get<double>()));
  out += fmt::format(
      "ratio: poisonsim's samples/s over the reference's (training: the reference's seconds over "
      "poisonsim's); > 1 = poisonsim faster. Factored rows are against the reference's autograd\n"
      "(the reference has one engine). direct: n = {} group(s) x group size, {} iterations, {} "
      "validation samples; generative: {} steps of batch {}, select_every {}\n"
      "load average (1 min) before and after each round: {}\n",
      options.groups, s.at("direct").at("iterations").get<int64_t>(),
      s.at("direct").at("validation_samples").get<int64_t>(),
      s.at("generative").at("steps").get<int64_t>(),
      s.at("generative").at("batch_size").get<int64_t>(),
      s.at("generative").at("select_every").get<int64_t>(), fmt::join(loads, " "));
  return out;
}

nlohmann::json reference_json(const ReferenceResult& result,
                              const ReferenceBenchmarkOptions& options) {
  nlohmann::json checks = nlohmann::json::array();
  for (const auto& c : result.checks)
    checks.push_back({{"what", c.what},
                      {"max_abs_diff", c.max_abs_diff},
                      {"max_value_diff", c.max_value_diff},
                      {"max_abs_change", c.max_abs_change},
                      {"tolerance", c.tolerance},
                      {"agree", c.agree}});
  nlohmann::json cells = nlohmann::json::array();
  nlohmann::json ratios = nlohmann::json::object();
  for (const auto& c : result.cells) {
    cells.push_back({{"name", c.name},
                     {"reference", c.reference},
                     {"unit", c.unit},
                     {"n", c.n},
                     {"poisonsim", c.poisonsim},
                     {"python", c.python},
                     {"poisonsim_median", median(c.poisonsim)},
                     {"python_median", median(c.python)},
                     {"ratio", c.ratio},
                     {"ratio_by_round", c.ratio_by_round}});
    ratios[c.name] = c.ratio;
  }
  return {{"benchmark", "attacks-reference"},
          {"rounds", options.rounds},
          {"groups", options.groups},
          {"n", options.n},
          {"direct_params", options.direct_params},
          {"generative_params", options.generative_params},
          {"environment", result.environment},
          {"settings", result.settings},
          {"checks", checks},
          {"ratios", ratios},
          {"cells", cells}};
}

}  // namespace poisonsim::bench
