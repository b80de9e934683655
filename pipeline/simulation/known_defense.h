#pragma once
// The defense as a white-box attacker knows it (an attacker's `defense_aware: known`;
// docs/scenario.md#attackers): a private copy of the scenario's guard chain, same stages and
// keys, on the attacker's known model and the defender's trusted data. Before sending a batch
// the attacker pulls each sample the copy would reject toward its clean seed until the copy
// accepts it: the intersection of every stage's acceptance region, reached along the line from
// the seed, as `evade` does for the loss threshold alone.
#include <cstdint>
#include <functional>
#include <vector>

#include "pipeline/data/dataset.h"
#include "pipeline/model/target_model.h"
#include "pipeline/scenario/scenario.h"

namespace poisonsim {

// Samples the copy rejected (`projected`) and, among them, those sent as their seed because
// the copy rejected even the seed.
struct DefenseProjection {
  int64_t projected = 0;
  int64_t seeds = 0;
};

// Per sample of its argument (labels as sent): 1 when the defense accepts it.
using AcceptsFn = std::function<std::vector<uint8_t>(const Dataset& samples)>;

// For each sample of `samples` that `accepts` rejects: x <- seed + a (x - seed) with the
// largest a in [0, 1] found accepted by bisection (14 halvings), or the seed itself when the
// seed is rejected. In place; `seeds` pairs up with `samples`.
DefenseProjection project_into_defense(const AcceptsFn& accepts, Dataset& samples,
                                       const Dataset& seeds);

// A fresh copy of the guard chain of `guard` on `model`, judging with the defender's `trusted`
// data and `seed`: what it would decide about `samples` now. Stateful stages (an adaptive
// threshold, a k-NN bank that adds what it accepts) start from their initial state, and the
// copy's probes of one batch change it as arrivals would.
class KnownDefense {
 public:
  KnownDefense(const GuardSpec& guard, const Dataset& trusted, uint64_t seed)
      : guard_(guard), trusted_(trusted), seed_(seed) {}
  // Projects `samples` (paired with `seeds`) into the acceptance region of a copy built for
  // `model` now.
  DefenseProjection project(const TargetModel& model, Dataset& samples, const Dataset& seeds) const;

 private:
  const GuardSpec& guard_;
  const Dataset& trusted_;
  uint64_t seed_;
};

}  // namespace poisonsim
