#pragma once
// An attacker's poison made ahead of its arrivals (the scenario's `generate_ahead: N`): one
// generate() call makes N samples against the model the attacker knows, and arrivals take their
// batch from that reserve in order. The rest is dropped when the known model changes (it was made
// against a model that is no longer deployed), so each retraining window's poison can be one
// ascent problem: the direct method's victim-aware objective then simulates the victim's epoch
// over the window with its `group_size` and `unroll_steps` (docs/attacks.md).
#include <cstdint>
#include <memory>

#include "pipeline/plugins/attacker.h"
#include "pipeline/simulation/poison_queue.h"

namespace poisonsim {

class PoisonReserve : public PoisonGenerator {
 public:
  PoisonReserve(std::unique_ptr<PoisonGenerator> inner, int64_t ahead);
  PoisonBatch generate(AttackContext& context, int64_t count) override;
  bool exhausted() const override { return reserve_.remaining() == 0 && inner_->exhausted(); }
  void save_state(StateOut& out) const override;
  void load_state(StateIn& in) override;

  // Samples made but dropped unused because the known model changed (for tests and the log).
  int64_t dropped() const { return dropped_; }

 private:
  std::unique_ptr<PoisonGenerator> inner_;
  int64_t ahead_;
  PoisonQueue reserve_;
  int64_t made_for_ = -1;  // the model version the reserve was made against
  int64_t dropped_ = 0;
};

}  // namespace poisonsim
