#include "attackers/common/poison_labels.h"

#include <fmt/format.h>

#include "pipeline/data/dataset.h"
#include "sim/util/error.h"
#include "sim/kernel/random_stream.h"

namespace poisonsim {

PoisonLabels parse_poison_labels(const std::string& text, const std::string& where) {
  if (text == "seed") return PoisonLabels::seed;
  if (text == "next-class") return PoisonLabels::next_class;
  if (text == "random-other") return PoisonLabels::random_other;
  if (text == "objective") return PoisonLabels::objective;
  throw UserError(where, fmt::format("unknown label rule '{}', expected seed, next-class, "
                                     "random-other or objective",
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
    case PoisonLabels::objective:
      return "objective";
  }
  return "?";
}

std::vector<int64_t> poison_labels(const std::vector<int64_t>& seed_labels, PoisonLabels rule,
                                   int64_t num_classes, RandomStream& rng) {
  std::vector<int64_t> out(seed_labels);
  if (rule == PoisonLabels::seed || rule == PoisonLabels::objective) return out;
  for (auto& label : out)
    label = rule == PoisonLabels::next_class ? (label + 1) % num_classes
                                             : random_other_class(label, num_classes, rng);
  return out;
}

}  // namespace poisonsim
