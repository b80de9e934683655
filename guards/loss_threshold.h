#pragma once
// The paper's countermeasure: poisoned inputs have a far larger loss on the deployed model than
// clean ones, so a sample whose per-input loss exceeds a threshold is rejected.
#include <cstdint>
#include <string>

namespace poisonsim {

enum class Verdict : uint8_t { accept = 0, reject = 1 };

class LossThresholdGuard {
 public:
  // Throws UserError naming `where` unless threshold > 0 and finite.
  explicit LossThresholdGuard(double threshold, const std::string& where = "guard.threshold");

  // A NaN or infinite loss is rejected: such a sample can only destabilise retraining.
  Verdict judge(float loss);

  double threshold() const { return threshold_; }
  int64_t accepted() const { return accepted_; }
  int64_t rejected() const { return rejected_; }

 private:
  double threshold_;
  int64_t accepted_ = 0;
  int64_t rejected_ = 0;
};

}  // namespace poisonsim
