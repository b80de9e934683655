#pragma once
// Label flipping, the simplest poisoning baseline: clean images with a wrong label.
#include <cstdint>
#include <string>

#include "pipeline/data/dataset.h"

namespace poisonsim {

enum class FlipRule {
  next_class,    // y -> (y + 1) mod K: a fixed, consistent wrong class (the stronger attack)
  random_other,  // y -> a uniformly drawn class other than y
};

FlipRule parse_flip_rule(const std::string& text, const std::string& where);

// A copy of `seeds` with every label replaced by a wrong one; `seed` drives random_other.
Dataset flip_labels(const Dataset& seeds, FlipRule rule, uint64_t seed);

}  // namespace poisonsim
