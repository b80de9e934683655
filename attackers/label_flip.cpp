#include "attackers/label_flip.h"

#include <fmt/format.h>

#include "sim/error.h"
#include "sim/random_stream.h"

namespace poisonsim {

FlipRule parse_flip_rule(const std::string& text, const std::string& where) {
  if (text == "next-class") return FlipRule::next_class;
  if (text == "random-other") return FlipRule::random_other;
  throw UserError(where, fmt::format("unknown label rule '{}', expected next-class or "
                                     "random-other",
                                     text));
}

Dataset flip_labels(const Dataset& seeds, FlipRule rule, uint64_t seed) {
  Dataset poison = seeds;
  poison.name = seeds.name + "/label-flipped";
  RandomStream rng(seed, "attacker/label-flip");
  const auto k = static_cast<uint64_t>(seeds.num_classes);
  for (auto& label : poison.labels) {
    const auto y = static_cast<uint64_t>(label);
    // random_other: draw from the K-1 other classes by skipping over y.
    const uint64_t shift = rule == FlipRule::next_class ? 1 : 1 + rng.below(k - 1);
    label = static_cast<int64_t>((y + shift) % k);
  }
  return poison;
}

}  // namespace poisonsim
