#include "guards/gates/retrain_gates.h"

#include <cmath>

namespace poisonsim {

bool ValidationGate::allow_deploy(const GateInput& input) {
  if (!std::isfinite(input.validation_loss_after)) return false;
  if (input.validation_loss_after - input.validation_loss_before > max_loss_increase_) return false;
  if (max_accuracy_drop_ &&
      input.validation_accuracy_before - input.validation_accuracy_after > *max_accuracy_drop_)
    return false;
  return true;
}

}  // namespace poisonsim
