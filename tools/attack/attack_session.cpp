#include "tools/attack/attack_session.h"

#include <chrono>

#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <yaml-cpp/yaml.h>

#include "attackers/baselines/label_flip.h"
#include "attackers/common/seed_samples.h"
#include "pipeline/runtime/numeric_runtime.h"
#include "sim/kernel/random_stream.h"
#include "sim/util/error.h"
#include "sim/util/progress.h"
#include "tools/common/builtin_plugins.h"

namespace poisonsim {
namespace {

// Defaults only: the quickstart's data set and target.
constexpr const char* kDefaultScenario = "duration: 1\n";

// The scenario's numerics mode before anything computes (may re-execute the program).
const Scenario& in_its_numerics_mode(const Scenario& s) {
  ensure_numerics_mode(s.numerics, s.file + ": compute.numerics");
  return s;
}

}  // namespace

nlohmann::json attack_figures(const AttackRun& run, const PoisonEffect& effect) {
  nlohmann::json figures = to_json(effect);
  figures["method"] = run.method;
  figures["n"] = run.poison.size();
  figures["seconds"] = run.seconds;
  figures["samples_per_second"] = run.samples_per_second();
  figures["attacker"] = run.attacker_yaml;
  if (run.direct) {
    figures["group_size"] = run.group_size;
    figures["engine"] = to_string(run.direct->engine);
    figures["direct"] = to_json(*run.direct, run.group_size);
  }
  return figures;
}

AttackSession::AttackSession(const std::string& scenario_path, std::vector<std::string> overrides)
    : text_(scenario_path.empty() ? kDefaultScenario : read_scenario_text(scenario_path)),
      file_(scenario_path.empty() ? "(default scenario)" : scenario_path),
      overrides_(std::move(overrides)),
      scenario_(parse_scenario(text_, file_, overrides_, cli::builtin_plugins())),
      data_(load_run_data(in_its_numerics_mode(scenario_))),
      model_(std::make_unique<TargetModel>(initial_model(scenario_, data_))) {}

AttackSession::~AttackSession() = default;

const TargetModel& AttackSession::model() const { return *model_; }

Dataset AttackSession::seeds_for(int64_t n) const {
  // The same stream for every method, so all methods start from the same clean seeds.
  RandomStream rng(scenario_.seed, "attack/seeds");
  return draw_seed_samples(data_.attacker_pool, n, rng);
}

std::unique_ptr<PoisonGenerator> AttackSession::make_attacker(const AttackRequest& request) const {
  std::vector<std::string> overrides = overrides_;
  overrides.push_back(fmt::format("attackers=[{{type: {}}}]", request.method));
  for (const auto& param : request.params) overrides.push_back("attackers.0." + param);
  return parse_scenario(text_, file_, overrides, cli::builtin_plugins())
      .attackers.at(0)
      .make_generator();
}

AttackRun AttackSession::generate(const AttackRequest& request) {
  // The attacker block is read by the same validation as a scenario's: --param key=value.
  std::vector<std::string> overrides = overrides_;
  overrides.push_back(fmt::format("attackers=[{{type: {}}}]", request.method));
  for (const auto& param : request.params) overrides.push_back("attackers.0." + param);
  const Scenario s = parse_scenario(text_, file_, overrides, cli::builtin_plugins());
  const AttackerSpec& spec = s.attackers.at(0);

  const Dataset seeds = seeds_for(request.n);
  auto generator = spec.make_generator();
  RandomStream rng(s.seed, "attack/" + request.method);
  spdlog::info("{}: generating {} poisoned samples from {} clean seeds", request.method, request.n,
               seeds.size());
  Progress progress(request.method, static_cast<double>(request.n), "samples");
  AttackContext context{*model_, seeds, data_.attacker_validation, rng, 0.0, 0, &progress};
  const auto start = std::chrono::steady_clock::now();
  PoisonBatch batch = generator->generate(context, request.n);
  progress.finish();
  AttackRun run;
  run.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  run.method = request.method;
  run.poison = std::move(batch.samples);
  run.seeds = std::move(batch.seeds);
  const YAML::Node attacker_node = YAML::Load(s.resolved_yaml)["attackers"][0];
  YAML::Emitter attacker;
  attacker << attacker_node;
  run.attacker_yaml = attacker.c_str();
  if (const auto* direct = dynamic_cast<const DirectGradientAttacker*>(generator.get())) {
    run.direct = direct->last_report();
    run.group_size = direct->options().group_size;
  }
  return run;
}

PoisonEffect AttackSession::measure(const AttackRun& run, int64_t retrain_seeds,
                                    int64_t mixed_ratio) const {
  RetrainProtocol protocol;
  protocol.train = scenario_.retrain.train;
  protocol.seeds = retrain_seeds;
  protocol.mixed_ratio = mixed_ratio;
  PoisonEffect effect = measure_poison(*model_, run.poison, run.seeds, data_.stream_pool,
                                       data_.test, protocol, scenario_.seed);
  const GuardNeeds needs = scenario_.guard.make_guard()->needs();
  if (needs.features || needs.ground_truth)
    spdlog::info(
        "guard {} needs the deployed model's features or the ground truth, which "
        "attack's offline measure does not give; run the scenario to measure it",
        scenario_.guard.type);
  else if (scenario_.guard.type != "none")
    effect.detection = measure_detection(*model_, run.poison, run.seeds, scenario_.guard.type,
                                         scenario_.guard.make_guard);
  return effect;
}

}  // namespace poisonsim
