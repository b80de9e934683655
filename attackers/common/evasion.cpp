#include "attackers/common/evasion.h"

#include "pipeline/scenario/config_node.h"
#include "pipeline/scenario/sweep_axes.h"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "attackers/common/evasion_torch.h"
#include "pipeline/model/torch_model.h"
#include "pipeline/plugins/guard_evidence.h"
#include "sim/kernel/state_archive.h"
#include "sim/util/error.h"

namespace poisonsim {
namespace {

// The line seed + a * (x - seed) is resolved to 1/2^14 of its length: far below what changes
// a loss measurably, at 14 forward passes per projection.
constexpr int kBisectionSteps = 14;
constexpr int64_t kLossBatch = 1024;  // rows per forward pass (memory bound for large inputs)

const char* source_name(ThresholdSource source) {
  switch (source) {
    case ThresholdSource::known:
      return "known";
    case ThresholdSource::estimate:
      return "estimated";
    case ThresholdSource::assumed:
      return "assumed";
  }
  return "?";
}

}  // namespace

double estimate_threshold(const GuardEvidence* evidence, double initial) {
  if (!evidence || evidence->accepted() + evidence->rejected() == 0) return initial;
  const double low = evidence->accepted() > 0 ? evidence->max_accepted() : 0.0;
  if (const auto high = evidence->min_rejected_above()) return 0.5 * (low + *high);
  return low;
}

torch::Tensor per_sample_loss(const TargetModel& model, const torch::Tensor& images,
                              const torch::Tensor& labels) {
  torch::NoGradGuard no_grad;
  if (images.size(0) == 0) return torch::zeros({0}, images.options());
  return torch::nn::functional::cross_entropy(
      forward_in_chunks(model, images, kLossBatch), labels,
      torch::nn::functional::CrossEntropyFuncOptions().reduction(torch::kNone));
}

CapMasks project_under_cap(const TargetModel& model, torch::Tensor& poison,
                           const torch::Tensor& seeds, const torch::Tensor& labels, double cap) {
  torch::NoGradGuard no_grad;
  CapMasks masks;
  masks.projected = per_sample_loss(model, poison, labels) > cap;
  masks.seeds = torch::zeros_like(masks.projected);
  const auto over = masks.projected.nonzero().flatten();
  if (over.numel() == 0) return masks;

  const auto seed = seeds.index_select(0, over);
  const auto y = labels.index_select(0, over);
  const auto direction = poison.detach().index_select(0, over) - seed;
  std::vector<int64_t> shape(static_cast<size_t>(poison.dim()), 1);
  shape[0] = over.numel();
  // Invariant per sample: loss(low) <= cap < loss(high); a = 0 is the seed.
  auto low = torch::zeros({over.numel()}, poison.options());
  auto high = torch::ones({over.numel()}, poison.options());
  const auto seed_over = per_sample_loss(model, seed, y) > cap;
  for (int step = 0; step < kBisectionSteps; ++step) {
    const auto mid = 0.5 * (low + high);
    const auto under = per_sample_loss(model, seed + mid.view(shape) * direction, y) <= cap;
    low = torch::where(under, mid, low);
    high = torch::where(under, high, mid);
  }
  // Even the seed is over: send it as is (the loss need not be monotone along the line, so a
  // point of it may pass, but it is not reachable from the seed without crossing the cap).
  low = torch::where(seed_over, torch::zeros_like(low), low);
  poison.index_copy_(0, over, seed + low.view(shape) * direction);
  masks.seeds.index_put_({over}, seed_over);
  return masks;
}

ProjectionCounts counts_of(const CapMasks& masks) {
  ProjectionCounts counts;
  counts.projected = masks.projected.sum().item<int64_t>();
  counts.seeds = masks.seeds.sum().item<int64_t>();
  return counts;
}

torch::Tensor cap_hinge(const torch::Tensor& logits, const torch::Tensor& labels, double cap) {
  const auto loss = torch::nn::functional::cross_entropy(
      logits, labels, torch::nn::functional::CrossEntropyFuncOptions().reduction(torch::kNone));
  return torch::relu(loss - cap).mean();
}

ProjectionCounts project_under_cap(const TargetModel& model, Dataset& samples, const Dataset& seeds,
                                   double cap) {
  if (samples.size() != seeds.size() || samples.shape != seeds.shape)
    throw std::invalid_argument("project_under_cap: samples and seeds must pair up");
  auto poison = images_tensor(samples);  // a view: projected in place
  return counts_of(
      project_under_cap(model, poison, images_tensor(seeds), labels_tensor(samples), cap));
}

std::optional<double> GuardEvasion::cap(const AttackContext& context) {
  double threshold = options_.assumed;
  if (options_.source == ThresholdSource::known) threshold = context.guard_threshold;
  if (options_.source == ThresholdSource::estimate)
    threshold = estimate_threshold(context.guard_evidence, options_.initial);
  if (!std::isfinite(threshold)) {
    if (!warned_)
      spdlog::info(
          "guard-aware attacker: the guard has no loss threshold to stay under; "
          "sending unconstrained poison");
    warned_ = true;
    ++stats_.unconstrained;
    return std::nullopt;
  }
  stats_.threshold = threshold;
  stats_.cap = threshold - options_.margin;
  return stats_.cap;
}

void GuardEvasion::project(const TargetModel& model, PoisonBatch& batch, double cap, double now) {
  record(static_cast<int64_t>(batch.samples.size()),
         project_under_cap(model, batch.samples, batch.seeds, cap), now);
}

void GuardEvasion::record(int64_t samples, const ProjectionCounts& counts, double now) {
  ++stats_.batches;
  stats_.samples += samples;
  stats_.projected += counts.projected;
  stats_.seeds += counts.seeds;
  spdlog::debug(
      "guard-aware attacker at t={:.3f}: {} threshold {:.4f}, cap {:.4f}; {} of {} "
      "samples pulled back, {} sent as their seed",
      now, source_name(options_.source), stats_.threshold, stats_.cap, counts.projected, samples,
      counts.seeds);
}

void save_evasion(StateOut& out, const std::optional<GuardEvasion>& evasion) {
  out(evasion.has_value());
  if (evasion) evasion->save_state(out);
}

void load_evasion(StateIn& in, std::optional<GuardEvasion>& evasion) {
  bool evades = false;
  in(evades);
  if (evades != evasion.has_value())
    throw UserError(in.where(), "the attacker's evade option differs from the scenario's");
  if (evasion) evasion->load_state(in);
}

void GuardEvasion::save_state(StateOut& out) const {
  out.section("evasion");
  out(stats_.batches, stats_.unconstrained, stats_.samples, stats_.projected, stats_.seeds,
      stats_.threshold, stats_.cap, warned_);
}

void GuardEvasion::load_state(StateIn& in) {
  in.section("evasion");
  in(stats_.batches, stats_.unconstrained, stats_.samples, stats_.projected, stats_.seeds,
     stats_.threshold, stats_.cap, warned_);
}

// The guard-aware option, `evade` (attackers/common/evasion.h). Absent: none, and nothing is added
// to the resolved scenario, so scenarios without it resolve and run exactly as before. `penalty`
// (the generator's hinge weight) is read only when given somewhere to put it.
std::optional<EvasionOptions> read_evasion_options(ConfigNode& node, double* penalty) {
  if (!node.has("evade")) return std::nullopt;
  auto evade = node.child("evade");
  EvasionOptions o;
  const auto threshold = evade.get<std::string>("threshold", "known");
  if (threshold == "known") {
    o.source = ThresholdSource::known;
  } else if (threshold == "estimate") {
    o.source = ThresholdSource::estimate;
  } else {
    const auto assumed = parse_finite_number(threshold);
    if (!assumed || !(*assumed > 0))
      evade.fail("threshold",
                 fmt::format("expected known, estimate or a positive number, got '{}'", threshold));
    o.source = ThresholdSource::assumed;
    o.assumed = *assumed;
  }
  o.margin = evade.get<double>("margin", o.margin, in_range(-1000, 1000));
  o.initial = evade.get<double>("initial", o.initial, greater_than(0));
  if (penalty) *penalty = evade.get<double>("penalty", *penalty, in_range(0, 1e6));
  evade.finish();
  return o;
}

}  // namespace poisonsim
