#include "attackers/poison_labels.h"

#include <fmt/format.h>

#include "sim/error.h"
#include "sim/random_stream.h"

namespace poisonsim {

PoisonLabels parse_poison_labels(const std::string& text, const std::string& where) {
  if (text == "seed") return PoisonLabels::seed;
  if (text == "next-class") return PoisonLabels::next_class;
  if (text == "random-other") return PoisonLabels::random_other;
  throw UserError(where, fmt::format("unknown label rule '{}', expected seed, next-class or "
                                     "random-other",
                                     text));
}

std::string to_string(PoisonLabels rule) {
  switch (rule) {
    case PoisonLabels::seed:
      return "seed";
    case PoisonLabels::next_class:
      return "next-class";
    case PoisonLabels::random_other:
      return "random-other";
  }
  return "?";
}

std::vector<int64_t> poison_labels(const std::vector<int64_t>& seed_labels, PoisonLabels rule,
                                   int64_t num_classes, RandomStream& rng) {
  std::vector<int64_t> out(seed_labels);
  if (rule == PoisonLabels::seed) return out;
  const auto k = static_cast<uint64_t>(num_classes);
  for (auto& label : out) {
    // random-other draws from the K-1 other classes by skipping over y.
    const uint64_t shift = rule == PoisonLabels::next_class ? 1 : 1 + rng.below(k - 1);
    label = static_cast<int64_t>((static_cast<uint64_t>(label) + shift) % k);
  }
  return out;
}

}  // namespace poisonsim
