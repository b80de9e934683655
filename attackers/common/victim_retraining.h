#pragma once
// The victim's retraining as an optimising attacker simulates it. The paper's objective takes
// SGD steps on the poison alone; the continually retrained victim instead trains on mini-batches
// in which poison is a small share, mixed with clean data. A victim-aware attacker simulates
// that: every simulated step trains on a chunk of its poison plus clean samples from its own
// pool, in the share it expects. Both optimising methods use this
// (attackers/direct/direct_gradient).
#include <cstdint>
#include <string>
#include "sim/util/enum_names.h"

namespace poisonsim {

class ConfigNode;

enum class AttackObjective {
  paper,         // L(x_val; W - lr * grad L(x_p)): the poison alone (Yang et al. 2017)
  victim_aware,  // the same steps on mini-batches mixing the poison with clean samples
};
const EnumNames<AttackObjective>& attack_objective_names();  // the names scenarios use
AttackObjective parse_attack_objective(const std::string& text, const std::string& where);
std::string to_string(AttackObjective objective);  // "paper", "victim-aware"

struct VictimRetraining {
  AttackObjective objective = AttackObjective::paper;
  // victim_aware: the share of poison in each simulated mini-batch (the victim's, as the
  // attacker expects it: the scenario's poison rate, say).
  double poison_share = 0.1;
  // Clean-only SGD steps simulated after the poisoned ones (direct method): the objective is the
  // validation loss once the next retraining window's clean data has had this many steps to
  // repair the model, so the attack favours damage that lasts. 0: none (the paper's view).
  int64_t recovery_steps = 0;

  // Clean samples that join `poison_per_step` poison samples in one simulated step (0 for the
  // paper's objective): rounded so that the step's poison share is as close to poison_share.
  int64_t clean_per_step(int64_t poison_per_step) const;
};

// The keys both optimising methods share: `objective`, `poison_share` (not `recovery_steps`,
// which only the direct method reads).
VictimRetraining read_victim_retraining(ConfigNode& node);

}  // namespace poisonsim
