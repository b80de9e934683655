#pragma once
// The accumulative attacker's plan (`accumulate:`, pipeline/scenario/accumulate_spec.h), as a
// wrapper around the attacker's own poison generator, the way PoisonReserve wraps it for
// `generate_ahead`.
//
// Stealth phase: at the first arrival of each retraining window the wrapper makes the window's
// candidate poison (`window_poison` samples) and simulates the victim's retrain on `window_clean`
// clean samples of its pool plus the first d candidates, from the deployed model, scoring the
// result on its own validation data. The window's dose is the largest d (by bisection) whose
// simulated loss increase and accuracy drop stay within `safety` times the gate's limits; its
// arrivals then hand out those d samples and send nothing once they are spent. The simulation
// is noisy and picking its largest passing dose favours doses it underrates, so the gate's
// verdicts bound it: a stealth window whose retrain was not deployed (the model's version did
// not change) caps later doses at `backoff` times its dose, and each deployed window raises the
// cap by a factor 1 + (1 - backoff) / 2. Trigger phase: from `trigger_at`, every arrival sends what it offers until the next
// retrain; after it the attacker stops. Each phase is an events row (stealth, backoff, trigger).
#include <cstdint>
#include <memory>

#include "pipeline/plugins/attacker.h"
#include "pipeline/scenario/accumulate_spec.h"
#include "pipeline/simulation/poison_queue.h"

namespace poisonsim {

struct Scenario;
struct AttackerSpec;

// Fills in what the plan derives from the scenario: the victim's training options and, where
// the scenario does not give them, the expected clean and poison samples per window.
void resolve_accumulate(AttackerSpec& attacker, const Scenario& scenario);

class AccumulativeDoser : public PoisonGenerator {
 public:
  AccumulativeDoser(std::unique_ptr<PoisonGenerator> inner, AccumulateSpec spec);
  PoisonBatch generate(AttackContext& context, int64_t count) override;
  bool exhausted() const override { return phase_ == Phase::done || inner_->exhausted(); }
  void save_state(StateOut& out) const override;
  void load_state(StateIn& in) override;

  enum class Phase : int64_t { stealth = 0, trigger = 1, done = 2 };
  Phase phase() const { return phase_; }
  double cap() const { return cap_; }  // the verdicts' bound on a dose (infinite: none yet)
  int64_t last_dose() const { return last_dose_; }

 private:
  void plan_window(AttackContext& context);
  // The largest number of `candidates`, taken in order, whose simulated retrain with clean
  // samples drawn from `pool` stays within the plan's limits.
  int64_t largest_passing_dose(AttackContext& context, const Dataset& candidates,
                               const Dataset& pool);

  std::unique_ptr<PoisonGenerator> inner_;
  AccumulateSpec spec_;
  Phase phase_ = Phase::stealth;
  double cap_;
  int64_t window_ = -1;           // the window planned last (-1: none yet)
  int64_t planned_version_ = -1;  // the deployed model's version when it was planned
  int64_t last_dose_ = 0;
  int64_t trigger_window_ = -1;
  PoisonQueue pending_;  // the planned window's dose, handed out in order
};

}  // namespace poisonsim
