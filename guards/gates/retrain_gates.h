#pragma once
// Retrain gates: decide whether a retrained model may replace the deployed one.
#include <optional>

#include "pipeline/plugins/retrain_gate.h"

namespace poisonsim {

// Type "none": every retrained model is deployed (the undefended baseline).
class AlwaysDeploy : public RetrainGate {
 public:
  bool allow_deploy(const GateInput&) override { return true; }
};

// Type "validation": refuse a model whose clean-validation loss rose by more than
// max_loss_increase, or (when set) whose clean-validation accuracy fell by more than
// max_accuracy_drop, both measured against the deployed model on the same validation set.
class ValidationGate : public RetrainGate {
 public:
  ValidationGate(double max_loss_increase, std::optional<double> max_accuracy_drop)
      : max_loss_increase_(max_loss_increase), max_accuracy_drop_(max_accuracy_drop) {}
  bool allow_deploy(const GateInput& input) override;

 private:
  double max_loss_increase_;
  std::optional<double> max_accuracy_drop_;
};

}  // namespace poisonsim
