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

Dataset flip_labels(const Dataset& seeds, FlipRule rule, RandomStream& rng) {
  Dataset poison = seeds;
  poison.name = seeds.name + "/label-flipped";
  const auto k = static_cast<uint64_t>(seeds.num_classes);
  for (auto& label : poison.labels) {
    const auto y = static_cast<uint64_t>(label);
    // random_other: draw from the K-1 other classes by skipping over y.
    const uint64_t shift = rule == FlipRule::next_class ? 1 : 1 + rng.below(k - 1);
    label = static_cast<int64_t>((y + shift) % k);
  }
  return poison;
}

Dataset draw_seed_samples(const Dataset& pool, int64_t count, RandomStream& rng) {
  std::vector<size_t> indices(static_cast<size_t>(count));
  for (auto& i : indices) i = static_cast<size_t>(rng.below(pool.size()));
  return pool.subset(indices, pool.name + "/seeds");
}

PoisonBatch LabelFlipAttacker::generate(AttackContext& context, int64_t count) {
  const Dataset seeds = draw_seed_samples(context.clean_pool, count, context.rng);
  return {flip_labels(seeds, rule_, context.rng), seeds.labels};
}

}  // namespace poisonsim
