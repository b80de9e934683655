#include "attackers/common/poison_labels.h"

#include <fmt/format.h>

#include "pipeline/data/dataset.h"
#include "sim/kernel/random_stream.h"
#include "sim/util/error.h"

namespace poisonsim {

const EnumNames<PoisonLabels>& poison_label_names() {
  static const EnumNames<PoisonLabels> names("label rule",
                                             {{PoisonLabels::seed, "seed"},
                                              {PoisonLabels::next_class, "next-class"},
                                              {PoisonLabels::random_other, "random-other"},
                                              {PoisonLabels::objective, "objective"}});
  return names;
}

PoisonLabels parse_poison_labels(const std::string& text, const std::string& where) {
  return poison_label_names().parse(text, where);
}

std::string to_string(PoisonLabels value) { return poison_label_names().name(value); }

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
