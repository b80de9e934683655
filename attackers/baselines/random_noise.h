#pragma once
// The random-noise baseline: seed images plus Gaussian noise scaled to a fixed L2 norm, so its
// potency can be compared with an optimised attack at the same perturbation size (set `l2` to
// the mean L2 distance of that attack's poison from its seeds).
#include <cstdint>
#include <optional>

#include "attackers/common/evasion.h"
#include "attackers/common/poison_labels.h"
#include "pipeline/plugins/attacker.h"

namespace poisonsim {

// Each image moves by L2 distance `l2` along a random Gaussian direction, measured after
// clipping to [0, 1] (as far as the pixel range allows).
Dataset add_l2_noise(const Dataset& seeds, double l2, RandomStream& rng);

// Scenario type "noise"; with `evade`, each batch is projected under the guard-aware cap (the
// distance from the seed is then at most `l2`).
class RandomNoiseAttacker : public PoisonGenerator {
 public:
  RandomNoiseAttacker(double l2, PoisonLabels labels,
                      std::optional<EvasionOptions> evade = std::nullopt)
      : l2_(l2), labels_(labels) {
    if (evade) evasion_.emplace(*evade);
  }
  PoisonBatch generate(AttackContext& context, int64_t count) override;
  const std::optional<GuardEvasion>& evasion() const { return evasion_; }
  void save_state(StateOut& out) const override { save_evasion(out, evasion_); }
  void load_state(StateIn& in) override { load_evasion(in, evasion_); }

 private:
  double l2_;
  PoisonLabels labels_;
  std::optional<GuardEvasion> evasion_;
};

}  // namespace poisonsim
