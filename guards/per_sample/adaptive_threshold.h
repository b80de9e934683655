#pragma once
// An adaptive loss guard: the threshold follows the losses of recently accepted samples instead
// of being fixed, so it tracks a deployed model whose loss level changes with retraining.
// threshold = factor * statistic(window), statistic = a quantile or mean + k * std.
// Only accepted losses enter the window, so with factor 1 a quantile below 1 ratchets the
// threshold down over time; factor > 1 leaves headroom (docs/scenario.md).
#include <cstdint>
#include <deque>

#include "pipeline/plugins/sample_guard.h"
#include "sim/util/enum_names.h"

namespace poisonsim {

class ConfigNode;

struct AdaptiveThresholdOptions {
  enum class Rule { quantile, mean_std } rule = Rule::quantile;
  double quantile = 0.99;          // rule quantile
  double k = 3.0;                  // rule mean-std
  double factor = 1.5;             // multiplier on the statistic
  int64_t window = 1000;           // most recent accepted losses kept
  int64_t warmup = 200;            // accepted samples before the window decides
  double initial_threshold = 3.0;  // in force during warm-up
  bool reset_on_deploy = true;     // a new model has new loss levels: start warm-up again
  int64_t update_every = 32;       // accepted samples between threshold updates
};
const EnumNames<AdaptiveThresholdOptions::Rule>& adaptive_rule_names();  // "quantile", "mean-std"

// The `adaptive` guard's keys, read and range-checked (errors name the key path and line).
AdaptiveThresholdOptions read_adaptive_threshold_options(ConfigNode& node);

class AdaptiveThresholdGuard : public SampleGuard {
 public:
  explicit AdaptiveThresholdGuard(AdaptiveThresholdOptions options);
  Verdict judge(const ScoredSample& sample) override;
  void on_deploy() override;
  double threshold() const override { return threshold_; }
  void save_state(StateOut& out) const override;
  void load_state(StateIn& in) override;

 private:
  void update_threshold();

  AdaptiveThresholdOptions options_;
  std::deque<float> window_;
  double threshold_;
  int64_t since_update_ = 0;
};

}  // namespace poisonsim
