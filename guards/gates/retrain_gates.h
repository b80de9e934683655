#pragma once
// Retrain gates: decide whether a retrained model may replace the deployed one.
#include <optional>

#include "pipeline/plugins/retrain_gate.h"

namespace poisonsim {

// Type "none": every retrained model is deployed (the undefended baseline).
class AlwaysDeploy : public RetrainGate {
 public:
  GateDecision decide(const GateInput&) override { return GateDecision::allowed(); }
};

// Type "validation": refuse a model whose clean-validation loss rose by more than
// max_loss_increase, or (when set) whose clean-validation accuracy fell by more than
// max_accuracy_drop, both measured against the deployed model on the same validation set. The
// loss limit is absolute, in nats (the mean cross-entropy's units), not relative to the loss.
// A refusal names the limit (kLossReason, kAccuracyReason; kNotFiniteReason for a NaN or
// infinite loss) and by how much the candidate went past it; one past both is refused for loss.
class ValidationGate : public RetrainGate {
 public:
  static constexpr const char* kLossReason = "validation_loss";
  static constexpr const char* kAccuracyReason = "validation_accuracy";
  static constexpr const char* kNotFiniteReason = "loss_not_finite";

  ValidationGate(double max_loss_increase, std::optional<double> max_accuracy_drop)
      : max_loss_increase_(max_loss_increase), max_accuracy_drop_(max_accuracy_drop) {}
  GateDecision decide(const GateInput& input) override;

 private:
  double max_loss_increase_;
  std::optional<double> max_accuracy_drop_;
};

}  // namespace poisonsim
