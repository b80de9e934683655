#include "guards/gates/retrain_gates.h"

#include <cmath>
#include <limits>

namespace poisonsim {

GateDecision ValidationGate::decide(const GateInput& input) {
  if (!std::isfinite(input.validation_loss_after))
    return GateDecision::refused(kNotFiniteReason, std::numeric_limits<double>::quiet_NaN());
  const double rise = input.validation_loss_after - input.validation_loss_before;
  if (rise > max_loss_increase_) return GateDecision::refused(kLossReason, rise - max_loss_increase_);
  if (max_accuracy_drop_) {
    const double drop = input.validation_accuracy_before - input.validation_accuracy_after;
    if (drop > *max_accuracy_drop_)
      return GateDecision::refused(kAccuracyReason, drop - *max_accuracy_drop_);
  }
  return GateDecision::allowed();
}

}  // namespace poisonsim
