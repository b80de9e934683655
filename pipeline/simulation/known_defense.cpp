#include "pipeline/simulation/known_defense.h"

#include <stdexcept>

#include "pipeline/plugins/guard_chain.h"
#include "pipeline/simulation/deployment.h"
#include "pipeline/simulation/guard_context.h"
#include "pipeline/simulation/ingestion.h"

namespace poisonsim {
namespace {

// As the loss cap's projection (attackers/common/evasion.cpp): 1/2^14 of the line.
constexpr int kBisectionSteps = 14;

// seed + a * (x - seed), sample by sample, for the samples `which` of `samples`.
Dataset along_lines(const Dataset& samples, const Dataset& seeds, const std::vector<size_t>& which,
                    const std::vector<float>& a) {
  Dataset out = samples.subset(which);
  const auto per = static_cast<size_t>(samples.shape.numel());
  for (size_t k = 0; k < which.size(); ++k) {
    const float* x = samples.image(which[k]);
    const float* s = seeds.image(which[k]);
    float* y = out.image(k);
    for (size_t p = 0; p < per; ++p) y[p] = s[p] + a[k] * (x[p] - s[p]);
  }
  return out;
}

}  // namespace

DefenseProjection project_into_defense(const AcceptsFn& accepts, Dataset& samples,
                                       const Dataset& seeds) {
  if (samples.size() != seeds.size() || samples.shape != seeds.shape)
    throw std::invalid_argument("project_into_defense: samples and seeds must pair up");
  DefenseProjection counts;
  if (samples.empty()) return counts;
  const auto verdicts = accepts(samples);
  std::vector<size_t> rejected;
  for (size_t i = 0; i < samples.size(); ++i)
    if (!verdicts[i]) rejected.push_back(i);
  counts.projected = static_cast<int64_t>(rejected.size());
  if (rejected.empty()) return counts;
  // Invariant per sample: a = low is accepted (or is the seed), a = high is rejected.
  std::vector<float> low(rejected.size(), 0.0f), high(rejected.size(), 1.0f);
  const auto seed_ok = accepts(along_lines(samples, seeds, rejected, low));
  for (int step = 0; step < kBisectionSteps; ++step) {
    std::vector<float> mid(rejected.size());
    for (size_t k = 0; k < mid.size(); ++k) mid[k] = 0.5f * (low[k] + high[k]);
    const auto ok = accepts(along_lines(samples, seeds, rejected, mid));
    for (size_t k = 0; k < mid.size(); ++k) (ok[k] ? low[k] : high[k]) = mid[k];
  }
  // A rejected seed is sent as it is: no point of the line is reachable without crossing out.
  for (size_t k = 0; k < rejected.size(); ++k)
    if (!seed_ok[k]) {
      low[k] = 0;
      ++counts.seeds;
    }
  const Dataset projected = along_lines(samples, seeds, rejected, low);
  const auto per = static_cast<size_t>(samples.shape.numel());
  for (size_t k = 0; k < rejected.size(); ++k)
    std::copy_n(projected.image(k), per, samples.image(rejected[k]));
  return counts;
}

DefenseProjection KnownDefense::project(const TargetModel& model, Dataset& samples,
                                        const Dataset& seeds) const {
  const Deployment deployment(model.clone(), 0);
  const DeploymentGuardContext context(deployment, trusted_, seed_);
  auto chain = guard_.make_guard();
  chain->attach(context);
  const GuardNeeds needs = chain->needs();
  const AcceptsFn accepts = [&](const Dataset& batch) {
    const SampleScores scores = deployment.score(batch, needs.features);
    const int64_t dim = needs.features ? deployment.feature_dim() : 0;
    auto scored = scored_samples(batch, scores, dim, 0.0);
    const bool poison = true;  // an oracle stage, if the scenario has one, knows it is
    if (needs.ground_truth)
      for (auto& s : scored) s.ground_truth = &poison;
    std::vector<Verdict> verdicts(batch.size());
    chain->judge_batch(scored.data(), scored.size(), verdicts.data());
    std::vector<uint8_t> ok(batch.size());
    for (size_t i = 0; i < ok.size(); ++i) ok[i] = verdicts[i] == Verdict::accept;
    return ok;
  };
  return project_into_defense(accepts, samples, seeds);
}

}  // namespace poisonsim
