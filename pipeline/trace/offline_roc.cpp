#include "pipeline/trace/offline_roc.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "pipeline/trace/trace_reader.h"
#include "sim/util/error.h"

namespace poisonsim {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// Samples with loss > threshold, in a sorted list; a NaN or infinite loss is always rejected
// (as the loss-threshold guard does), and sorts last.
int64_t above(const std::vector<float>& sorted, double threshold) {
  const auto first_above = std::upper_bound(
      sorted.begin(), sorted.end(), threshold,
      [](double t, float loss) { return !std::isfinite(loss) || static_cast<double>(loss) > t; });
  return static_cast<int64_t>(sorted.end() - first_above);
}

bool loss_order(float a, float b) {
  const bool fa = std::isfinite(a), fb = std::isfinite(b);
  if (fa != fb) return fa;  // finite first
  return fa && a < b;
}

// Mann-Whitney U / (n_poison * n_clean), from both sorted lists in one merge pass.
double area_under_curve(const std::vector<float>& poison, const std::vector<float>& clean) {
  if (poison.empty() || clean.empty()) return kNaN;
  double wins = 0;
  size_t below = 0, equal_end = 0;
  for (float p : poison) {
    while (below < clean.size() && loss_order(clean[below], p)) ++below;
    equal_end = std::max(equal_end, below);
    while (equal_end < clean.size() && !loss_order(p, clean[equal_end])) ++equal_end;
    wins += static_cast<double>(below) + 0.5 * static_cast<double>(equal_end - below);
  }
  return wins / (static_cast<double>(poison.size()) * static_cast<double>(clean.size()));
}

// The curve of "reject when the score exceeds the threshold" over both kinds' scores.
OfflineRoc roc_of(std::vector<float> poison, std::vector<float> clean,
                  const std::vector<double>& thresholds) {
  std::sort(poison.begin(), poison.end(), loss_order);
  std::sort(clean.begin(), clean.end(), loss_order);

  OfflineRoc roc;
  roc.poison = static_cast<int64_t>(poison.size());
  roc.clean = static_cast<int64_t>(clean.size());
  for (double threshold : thresholds) {
    RocPoint point;
    point.threshold = threshold;
    point.poison_rejected = above(poison, threshold);
    point.clean_rejected = above(clean, threshold);
    point.true_positive_rate =
        roc.poison ? static_cast<double>(point.poison_rejected) / static_cast<double>(roc.poison)
                   : kNaN;
    point.false_positive_rate =
        roc.clean ? static_cast<double>(point.clean_rejected) / static_cast<double>(roc.clean)
                  : kNaN;
    roc.points.push_back(point);
  }
  roc.auc = area_under_curve(poison, clean);
  return roc;
}

}  // namespace

OfflineRoc offline_roc(const TraceReader& reader, const std::vector<double>& thresholds) {
  if (!reader.has_samples())
    throw UserError(reader.where(),
                    "has no samples table (the run had trace.samples: false): "
                    "offline detection metrics need the per-sample losses");
  std::vector<float> poison, clean;
  reader.for_each_sample(
      [&](const SampleRow& row) { (row.is_poison ? poison : clean).push_back(row.loss); });
  return roc_of(std::move(poison), std::move(clean), thresholds);
}

OfflineRoc offline_stage_roc(const TraceReader& reader, uint8_t stage,
                             std::vector<double> thresholds) {
  std::vector<float> poison, clean;
  reader.for_each_score([&](const ScoreRow& row) {
    if (row.stage == stage) (row.is_poison ? poison : clean).push_back(row.score);
  });
  if (thresholds.empty() && !(poison.empty() && clean.empty())) {
    // 17 thresholds evenly from the smallest score to the largest.
    float low = std::numeric_limits<float>::infinity(), high = -low;
    for (const auto* kind : {&poison, &clean})
      for (float score : *kind) {
        low = std::min(low, score);
        high = std::max(high, score);
      }
    constexpr int kSteps = 16;
    for (int i = 0; i <= kSteps; ++i)
      thresholds.push_back(low + (static_cast<double>(high) - low) * i / kSteps);
  }
  return roc_of(std::move(poison), std::move(clean), thresholds);
}

}  // namespace poisonsim
