#pragma once
// What the optimising attacks (direct gradient, generative) work against, as the attacker sees
// it. The victim retrains with SGD: W' = W - lr * dL(x_p; W)/dW, and the attacker maximises the
// clean loss after that update, L(x_val; W'(x_p)) (design.md, "The paper, in technical terms").
#include <cstdint>
#include <optional>

#include "pipeline/data/dataset.h"
#include "pipeline/model/target_model.h"

namespace poisonsim {

struct AttackProblem {
  const TargetModel& model;   // the model as the attacker knows it; native (mlp/cnn) only
  const Dataset& validation;  // clean data whose loss after retraining is maximised
  double retrain_lr = 0.1;    // the victim's SGD learning rate, as the attacker assumes it
  // Guard-aware option (attackers/common/evasion.h): keep every poison sample's loss on `model`, at the
  // label it is sent with, at or below this cap. None: unconstrained.
  std::optional<double> loss_cap = std::nullopt;
  // The attacker's own clean samples: the victim-aware objective mixes them into its
  // simulated retraining (attackers/common/victim_retraining.h). Null: none.
  const Dataset* clean_pool = nullptr;
};

// Per-sample statistics of a poison set, for reports and the attack JSON.
struct PoisonStats {
  double mean_l2_from_seed = 0;  // mean ||x_p - x_seed||_2
  double mean_pairwise_l2 = 0;   // mean ||x_p_i - x_p_j||_2 over sampled pairs (collapse check)
  double seed_pairwise_l2 = 0;   // the same for the seeds, for comparison
};

}  // namespace poisonsim
