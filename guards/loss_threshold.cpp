#include "guards/loss_threshold.h"

#include <cmath>

#include <fmt/format.h>

#include "sim/error.h"

namespace poisonsim {

LossThresholdGuard::LossThresholdGuard(double threshold, const std::string& where)
    : threshold_(threshold) {
  if (!(threshold > 0) || !std::isfinite(threshold))
    throw UserError(where, fmt::format("{}: expected a positive loss threshold", threshold));
}

Verdict LossThresholdGuard::judge(float loss) {
  const bool accept = std::isfinite(loss) && loss <= threshold_;
  ++(accept ? accepted_ : rejected_);
  return accept ? Verdict::accept : Verdict::reject;
}

}  // namespace poisonsim
