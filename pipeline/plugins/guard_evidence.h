#pragma once
// What a guard's verdicts reveal of its threshold to the attacker whose samples they judged
// (the guard-aware attacker's `evade: {threshold: estimate}`, attackers/common/evasion.h).
#include <cmath>
#include <cstdint>
#include <iterator>
#include <limits>
#include <optional>
#include <set>

#include "pipeline/plugins/sample_guard.h"

namespace poisonsim {

// What a guard's verdicts on one attacker's own samples reveal of its threshold: the largest
// accepted loss bounds it from below, the smallest rejected loss above that from above. The
// ingestion records it in arrival order, so it never depends on the thread count.
class GuardEvidence {
 public:
  void record(double loss, Verdict verdict) {
    if (!std::isfinite(loss)) return;  // rejected whatever the threshold: no information
    if (verdict == Verdict::accept) {
      ++accepted_;
      if (loss > max_accepted_) {
        max_accepted_ = loss;
        rejected_above_.erase(rejected_above_.begin(), rejected_above_.upper_bound(loss));
      }
      return;
    }
    ++rejected_;
    if (loss <= max_accepted_) return;  // the threshold moved (adaptive guard): no new bound
    rejected_above_.insert(loss);
    // Only the smallest matter; a fixed threshold never accepts above any of them.
    if (rejected_above_.size() > kKeep) rejected_above_.erase(std::prev(rejected_above_.end()));
  }
  int64_t accepted() const { return accepted_; }
  int64_t rejected() const { return rejected_; }
  double max_accepted() const { return max_accepted_; }  // -inf before any acceptance
  template <class Archive>
  void serialize(Archive& archive) {  // checkpoints (cereal)
    archive(accepted_, rejected_, max_accepted_, rejected_above_);
  }
  std::optional<double> min_rejected_above() const {
    if (rejected_above_.empty()) return std::nullopt;
    return *rejected_above_.begin();
  }

 private:
  static constexpr size_t kKeep = 1024;
  int64_t accepted_ = 0;
  int64_t rejected_ = 0;
  double max_accepted_ = -std::numeric_limits<double>::infinity();
  std::multiset<double> rejected_above_;  // rejected losses above max_accepted_, smallest first
};

}  // namespace poisonsim
