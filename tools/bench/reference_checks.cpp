#include "tools/bench/reference_checks.h"

#include <algorithm>
#include <cmath>
#include <filesystem>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "attackers/common/seed_samples.h"
#include "sim/kernel/random_stream.h"
#include "tools/bench/reference_exchange.h"

namespace poisonsim::bench {
namespace {

constexpr int64_t kDirectGroup = 10;
constexpr int64_t kDirectIterations = 1;
constexpr int64_t kGenerativePool = 64;
constexpr int64_t kGenerativeSteps = 3;
constexpr int64_t kCheckValidation = 200;
// float32 results of two implementations of one computation: pixels in [0, 1] and losses of
// order 1 agree to ~1e-5; 1e-3 leaves room for summation order and still catches any change of
// the algorithm (a step moves pixels by up to step_size, G's output by ~0.01-0.1 per step).
constexpr double kTolerance = 1e-3;
// The factored engine's gradient differs from autograd's by float rounding, and the per-sample
// normalisation of the ascent step magnifies that for a sample whose gradient is small: one step
// on Fashion-MNIST moved pixels up to 0.2 and the engines differed by up to 1.1e-3 (a step 10%
// longer differs by 3e-2).
constexpr double kFactoredTolerance = 1e-2;

ReferenceCheck read_check(const std::string& what, const nlohmann::json& reply,
                          const char* value_key, double tolerance = kTolerance) {
  ReferenceCheck check;
  check.what = what;
  check.max_abs_diff = reply.at("max_abs_diff").get<double>();
  check.max_value_diff = reply.at(value_key).get<double>();
  check.max_abs_change = reply.at("max_abs_change").get<double>();
  check.tolerance = tolerance;
  check.agree = std::isfinite(check.max_abs_diff) && check.max_abs_diff <= tolerance &&
                std::isfinite(check.max_value_diff) && check.max_value_diff <= kTolerance;
  spdlog::info(
      "bench attacks --reference: check {}: max |diff| {:.3g} (moved {:.3g}), "
      "objective {:.3g}: {}",
      what, check.max_abs_diff, check.max_abs_change, check.max_value_diff,
      check.agree ? "agree" : "DIFFER");
  return check;
}

ReferenceCheck direct_check(const ReferenceSetup& setup, ReferenceProcess& reference,
                            const Dataset& validation, const std::string& engine,
                            const std::string& path) {
  DirectOptions o = setup.direct;
  const auto seeds = setup.session.seeds(kDirectGroup);
  o.group_size = kDirectGroup;
  o.iterations = kDirectIterations;
  o.tolerance = 0;
  o.engine = parse_direct_engine(engine, "--engines");
  o.validation_samples = static_cast<int64_t>(validation.size());  // all of it, on both sides
  RandomStream rng(setup.seed, "bench/reference/check-direct");
  DirectReport report;
  const AttackProblem problem{setup.session.model(), validation, setup.direct_lr};
  const PoisonBatch batch = direct_gradient_attack(problem, seeds, o, rng, &report);
  {
    ExchangeFile file(path);
    Dataset start = seeds;
    start.labels = batch.samples.labels;  // the poison labels the rule gave
    file.dataset("seeds", start);
    file.dataset("validation", validation);
    const auto& p = batch.samples;
    file.floats("expected/poison", p.pixels.data(),
                {static_cast<int64_t>(p.size()), p.shape.channels, p.shape.height, p.shape.width});
    std::vector<float> objective(report.objective_by_iteration.begin(),
                                 report.objective_by_iteration.end());
    file.floats("expected/objective", objective.data(), {static_cast<int64_t>(objective.size())});
  }
  const auto reply = reference.request({{"cell", "direct-check"},
                                        {"file", path},
                                        {"options", reference_options(o)},
                                        {"retrain_lr", setup.direct_lr}});
  return read_check(fmt::format("direct g={} {} vs reference autograd, {} ascent step(s)",
                                kDirectGroup, engine, kDirectIterations),
                    reply, "max_objective_diff",
                    o.engine == DirectEngine::factored ? kFactoredTolerance : kTolerance);
}

ReferenceCheck generative_check(const ReferenceSetup& setup, ReferenceProcess& reference,
                                const Dataset& validation, const std::string& rule,
                                const std::string& path) {
  GenerativeOptions o = setup.generative;
  o.rule = parse_generative_rule(rule, "--rules");
  o.steps = kGenerativeSteps;
  o.batch_size = kGenerativePool;
  o.unroll_chunk = kGenerativePool;
  o.select_every = 0;
  o.labels = PoisonLabels::seed;
  o.validation_samples = static_cast<int64_t>(validation.size());
  const auto& data = setup.session.data();
  std::vector<size_t> first(static_cast<size_t>(
      std::min<int64_t>(kGenerativePool, static_cast<int64_t>(data.attacker_pool.size()))));
  for (size_t i = 0; i < first.size(); ++i) first[i] = i;
  const Dataset pool = data.attacker_pool.subset(first, "check pool");
  RandomStream rng(setup.seed, "bench/reference/check-generative");
  RandomStream peek = rng;  // train() builds G from the stream's first draw
  const auto initial =
      initial_generator_weights(o.generator, setup.session.model().spec().input, peek.next_u64());
  GenerativeAttack attack;
  GenerativeReport report;
  const AttackProblem problem{setup.session.model(), validation, setup.generative_lr};
  attack.train(problem, pool, o, rng, &report);
  const PoisonBatch batch = attack.generate(pool, rng);
  {
    ExchangeFile file(path);
    file.dataset("pool", pool);
    file.dataset("validation", validation);
    file.weights("initial_generator", initial.weights);
    const auto& p = batch.samples;
    file.floats("expected/poison", p.pixels.data(),
                {static_cast<int64_t>(p.size()), p.shape.channels, p.shape.height, p.shape.width});
    std::vector<float> rewards(report.reward_by_step.begin(), report.reward_by_step.end());
    file.floats("expected/rewards", rewards.data(), {static_cast<int64_t>(rewards.size())});
  }
  const auto reply = reference.request({{"cell", "generative-check"},
                                        {"file", path},
                                        {"options", reference_options(o)},
                                        {"retrain_lr", setup.generative_lr}});
  return read_check(fmt::format("generative {}, {} G steps on one batch of {}", rule,
                                kGenerativeSteps, pool.size()),
                    reply, "max_reward_diff");
}

}  // namespace

std::vector<ReferenceCheck> run_reference_checks(const ReferenceSetup& setup,
                                                 ReferenceProcess& reference,
                                                 const std::vector<std::string>& engines,
                                                 const std::vector<std::string>& rules,
                                                 const std::string& dir) {
  const auto& all = setup.session.data().attacker_validation;
  RandomStream rng(setup.seed, "bench/reference/check-validation");
  const int64_t size =
      std::min({kCheckValidation, static_cast<int64_t>(all.size()), setup.direct.validation_samples,
                setup.generative.validation_samples});
  const Dataset validation = draw_seed_samples(all, size, rng);
  std::vector<ReferenceCheck> checks;
  const auto& spec = setup.session.model().spec();
  for (const auto& engine : engines) {
    DirectOptions o = setup.direct;
    o.group_size = kDirectGroup;
    o.engine = parse_direct_engine(engine, "--engines");
    if (o.engine == DirectEngine::factored && !factored_engine_applies(o, spec)) continue;
    checks.push_back(
        direct_check(setup, reference, validation, engine,
                     (std::filesystem::path(dir) / ("check-direct-" + engine + ".h5")).string()));
  }
  for (const auto& rule : rules)
    checks.push_back(generative_check(
        setup, reference, validation, rule,
        (std::filesystem::path(dir) / ("check-generative-" + rule + ".h5")).string()));
  return checks;
}

}  // namespace poisonsim::bench
