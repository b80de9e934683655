#pragma once
// The paper's countermeasure: poisoned inputs have a far larger loss on the deployed model than
// clean ones, so a sample whose per-input loss exceeds a threshold is rejected.
#include <string>

#include "pipeline/plugins/sample_guard.h"

namespace poisonsim {

class LossThresholdGuard : public SampleGuard {
 public:
  // Throws UserError naming `where` unless threshold > 0 and finite.
  explicit LossThresholdGuard(double threshold, const std::string& where = "guard.threshold");

  // A NaN or infinite loss is rejected: such a sample can only destabilise retraining.
  Verdict judge(const ScoredSample& sample) override;
  double threshold() const override { return threshold_; }

 private:
  double threshold_;
};

}  // namespace poisonsim
