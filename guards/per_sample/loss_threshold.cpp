#include "guards/per_sample/loss_threshold.h"

#include <cmath>

#include <fmt/format.h>

#include "sim/util/error.h"

namespace poisonsim {

LossThresholdGuard::LossThresholdGuard(double threshold, const std::string& where)
    : threshold_(threshold) {
  if (!(threshold > 0) || !std::isfinite(threshold))
    throw UserError(where, fmt::format("{}: expected a positive loss threshold", threshold));
}

Verdict LossThresholdGuard::judge(const ScoredSample& sample) {
  const bool accept = std::isfinite(sample.loss) && sample.loss <= threshold_;
  return accept ? Verdict::accept : Verdict::reject;
}

}  // namespace poisonsim
