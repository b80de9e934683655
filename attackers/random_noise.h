#pragma once
// The random-noise baseline: seed images plus Gaussian noise scaled to a fixed L2 norm, so its
// potency can be compared with an optimised attack at the same perturbation size (set `l2` to
// the mean L2 distance of that attack's poison from its seeds).
#include <cstdint>

#include "attackers/poison_labels.h"
#include "pipeline/simulation/plugins.h"

namespace poisonsim {

// Each image moves by L2 distance `l2` along a random Gaussian direction, measured after
// clipping to [0, 1] (as far as the pixel range allows).
Dataset add_l2_noise(const Dataset& seeds, double l2, RandomStream& rng);

class RandomNoiseAttacker : public PoisonGenerator {
 public:
  RandomNoiseAttacker(double l2, PoisonLabels labels) : l2_(l2), labels_(labels) {}
  PoisonBatch generate(AttackContext& context, int64_t count) override;

 private:
  double l2_;
  PoisonLabels labels_;
};

}  // namespace poisonsim
