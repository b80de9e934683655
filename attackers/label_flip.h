#pragma once
// Label flipping, the simplest poisoning baseline: clean images with a wrong label.
#include <cstdint>
#include <string>

#include "pipeline/data/dataset.h"
#include "pipeline/simulation/plugins.h"

namespace poisonsim {

enum class FlipRule {
  next_class,    // y -> (y + 1) mod K: a fixed, consistent wrong class (the stronger attack)
  random_other,  // y -> a uniformly drawn class other than y
};

FlipRule parse_flip_rule(const std::string& text, const std::string& where);

// A copy of `seeds` with every label replaced by a wrong one; `rng` drives random_other.
Dataset flip_labels(const Dataset& seeds, FlipRule rule, RandomStream& rng);

// Scenario type "label-flip": draws seed images from the attacker's clean pool and flips them.
class LabelFlipAttacker : public PoisonGenerator {
 public:
  explicit LabelFlipAttacker(FlipRule rule) : rule_(rule) {}
  PoisonBatch generate(AttackContext& context, int64_t count) override;

 private:
  FlipRule rule_;
};

// Draws `count` samples from `pool` (with replacement) using `rng`.
Dataset draw_seed_samples(const Dataset& pool, int64_t count, RandomStream& rng);

}  // namespace poisonsim
