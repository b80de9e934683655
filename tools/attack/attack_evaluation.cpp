#include "tools/attack/attack_evaluation.h"

#include <cmath>
#include <limits>
#include <numeric>

#include <fmt/format.h>

#include "attackers/common/poison_stats.h"
#include "pipeline/trace/confidence_interval.h"
#include "sim/kernel/random_stream.h"

namespace poisonsim {

MeanStd mean_std(std::vector<double> values) {
  MeanStd m;
  m.values = std::move(values);
  if (m.values.empty()) return m;
  // Accuracies: only the mean, sd and t half-width are used here, which the kind leaves alone.
  const MeanInterval interval = mean_interval(m.values, QuantityKind::proportion);
  m.mean = interval.mean;
  if (m.values.size() > 1) {
    m.std = interval.sd;
    m.ci95 = interval.half_width;
  }
  return m;
}

std::string format_mean_ci(const MeanStd& m) {
  return std::isnan(m.ci95) ? fmt::format("{:.4f}", m.mean)
                            : fmt::format("{:.4f} ± {:.4f}", m.mean, m.ci95);
}

MeanStd retrained_accuracy(const TargetModel& model, const Dataset& train_set, const Dataset& test,
                           const RetrainProtocol& protocol) {
  std::vector<double> accuracies;
  for (int64_t s = 0; s < protocol.seeds; ++s) {
    auto copy = model.clone();
    TrainOptions options = protocol.train;
    options.seed = derive_seed(static_cast<uint64_t>(s), "attack/retrain");
    train_model(copy, train_set, options);
    accuracies.push_back(evaluate(copy, test).accuracy);
  }
  return mean_std(std::move(accuracies));
}

namespace {

Dataset take_clean(const Dataset& pool, size_t count, uint64_t seed) {
  std::vector<size_t> indices(pool.size());
  std::iota(indices.begin(), indices.end(), size_t{0});
  RandomStream rng(seed, "attack/mixed-clean");
  rng.shuffle(indices.begin(), indices.end());
  indices.resize(std::min(count, indices.size()));
  return pool.subset(indices, pool.name + "/mixed");
}

}  // namespace

namespace {

// Fraction of `data` a fresh guard rejects, judged in order as arrivals at `model`.
double rejected_fraction(const TargetModel& model, const Dataset& data, SampleGuard& guard) {
  if (data.size() == 0) return std::numeric_limits<double>::quiet_NaN();
  const SampleScores scores = score_samples(model, data);
  size_t rejected = 0;
  for (size_t i = 0; i < scores.loss.size(); ++i) {
    const ScoredSample sample{0.0, data.labels[i], scores.prediction[i], scores.loss[i]};
    if (guard.judge(sample) == Verdict::reject) ++rejected;
  }
  return static_cast<double>(rejected) / static_cast<double>(scores.loss.size());
}

}  // namespace

GuardDetection measure_detection(const TargetModel& model, const Dataset& poison,
                                 const Dataset& seeds, const std::string& guard_type,
                                 const SampleGuardFactory& make_guard) {
  GuardDetection d;
  d.guard = guard_type;
  const auto poison_guard = make_guard();
  d.poison_rejected = rejected_fraction(model, poison, *poison_guard);
  d.threshold = poison_guard->threshold();
  const auto clean_guard = make_guard();
  d.clean_rejected = rejected_fraction(model, seeds, *clean_guard);
  return d;
}

PoisonEffect measure_poison(const TargetModel& model, const Dataset& poison, const Dataset& seeds,
                            const Dataset& clean_extra, const Dataset& test,
                            const RetrainProtocol& protocol, uint64_t seed) {
  PoisonEffect e;
  e.accuracy_before = evaluate(model, test).accuracy;
  e.accuracy_after = retrained_accuracy(model, poison, test, protocol);
  e.accuracy_clean_only = retrained_accuracy(model, seeds, test, protocol);
  const Dataset clean =
      take_clean(clean_extra, poison.size() * static_cast<size_t>(protocol.mixed_ratio), seed);
  Dataset mixed = poison;
  mixed.append(clean);
  e.accuracy_mixed = retrained_accuracy(model, mixed, test, protocol);
  Dataset clean_mixed = seeds;
  clean_mixed.append(clean);
  e.accuracy_clean_mixed = retrained_accuracy(model, clean_mixed, test, protocol);
  e.mean_loss_poison = evaluate(model, poison).mean_loss;
  e.mean_loss_clean = evaluate(model, seeds).mean_loss;
  RandomStream rng(seed, "attack/stats");
  const PoisonStats stats = poison_stats(poison, seeds, rng);
  e.mean_l2_from_seed = stats.mean_l2_from_seed;
  e.mean_pairwise_l2 = stats.mean_pairwise_l2;
  e.seed_pairwise_l2 = stats.seed_pairwise_l2;
  return e;
}

namespace {

// JSON has no NaN: a value that does not exist (no interval from one run, no threshold) is null.
nlohmann::json finite_or_null(double value) {
  return std::isfinite(value) ? nlohmann::json(value) : nlohmann::json();
}

}  // namespace

nlohmann::json to_json(const MeanStd& m) {
  return {{"mean", m.mean},
          {"std", m.std},
          {"ci95_half_width", finite_or_null(m.ci95)},
          {"runs", m.values}};
}

nlohmann::json to_json(const GuardDetection& d) {
  return {{"type", d.guard},
          {"threshold", finite_or_null(d.threshold)},  // null for a guard without one
          {"poison_rejected", d.poison_rejected},
          {"clean_rejected", d.clean_rejected}};
}

nlohmann::json to_json(const PoisonEffect& e) {
  nlohmann::json j = {{"accuracy_before", e.accuracy_before},
                      {"accuracy_after", e.accuracy_after.mean},
                      {"accuracy_after_std", e.accuracy_after.std},
                      {"accuracy_after_ci95", finite_or_null(e.accuracy_after.ci95)},
                      {"accuracy_after_runs", e.accuracy_after.values},
                      {"accuracy_clean_only", to_json(e.accuracy_clean_only)},
                      {"accuracy_mixed", to_json(e.accuracy_mixed)},
                      {"accuracy_clean_mixed", to_json(e.accuracy_clean_mixed)},
                      {"mean_loss_poison", e.mean_loss_poison},
                      {"mean_loss_clean", e.mean_loss_clean},
                      {"mean_l2_from_seed", e.mean_l2_from_seed},
                      {"mean_pairwise_l2", e.mean_pairwise_l2},
                      {"seed_pairwise_l2", e.seed_pairwise_l2}};
  if (e.detection) j["guard"] = to_json(*e.detection);
  return j;
}

nlohmann::json to_json(const DirectReport& r, int64_t group_size) {
  nlohmann::json j = {{"group_size", group_size},
                      {"engine", to_string(r.engine)},
                      {"groups", r.groups},
                      {"objective_by_iteration", r.objective_by_iteration},
                      {"accuracy_by_iteration", r.accuracy_by_iteration}};
  if (!r.label_choices.empty())  // labels: objective
    j["label_choices"] = {{"seed", r.label_choices[0]},
                          {"next-class", r.label_choices[1]},
                          {"least-likely", r.label_choices[2]}};
  return j;
}

}  // namespace poisonsim
