#pragma once
// What a retrain trains and which of its models it hands to the gate (retrain.start,
// retrain.select; docs/scenario.md#retrain): the deployed model fine-tuned on the window, or the
// base model the run began with retrained on what the buffer holds; the last iterate, the mean
// of the last epoch's iterates, or the epoch best on the defender's validation set.
#include <cstdint>
#include <optional>

#include "pipeline/data/dataset.h"
#include "pipeline/model/target_model.h"
#include "pipeline/scenario/scenario.h"

namespace poisonsim {

class StateIn;
class StateOut;

class RetrainPolicy {
 public:
  // Keeps a copy of `initial` (the run's first deployed model) when retrains start from base.
  RetrainPolicy(const RetrainSpec& spec, const TargetModel& initial);

  // The candidate: a copy of the deployed (or base) model trained on `set` with `seed`'s
  // shuffling; with select: best, the epoch with the lowest mean loss on `validation`.
  TargetModel candidate(const TargetModel& deployed, const Dataset& set,
                        const Dataset& validation, uint64_t seed) const;

  // Checkpoints: the base model, when one is kept (other policies add nothing).
  void save_state(StateOut& out) const;
  void load_state(StateIn& in);

 private:
  const RetrainSpec& spec_;
  std::optional<TargetModel> base_;
};

}  // namespace poisonsim
