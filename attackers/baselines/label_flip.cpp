#include "attackers/baselines/label_flip.h"

#include <algorithm>
#include <numeric>
#include <vector>

#include "attackers/common/seed_samples.h"
#include "pipeline/model/training.h"
#include "sim/kernel/random_stream.h"

namespace poisonsim {

PoisonBatch LabelFlipAttacker::flips(AttackContext& context, int64_t count) const {
  PoisonBatch batch;
  batch.seeds = draw_seed_samples(context.clean_pool, count, context.rng);
  batch.samples = batch.seeds;
  batch.samples.labels =
      poison_labels(batch.seeds.labels, rule_, batch.samples.num_classes, context.rng);
  return batch;
}

PoisonBatch LabelFlipAttacker::flips_under_cap(AttackContext& context, int64_t count, double cap) {
  // Candidates in draw order, with their loss at the flipped label on the attacker's model.
  PoisonBatch drawn;
  std::vector<float> loss;
  std::vector<size_t> under;
  for (int round = 0; round < kGuardAwareFlipRounds && static_cast<int64_t>(under.size()) < count;
       ++round) {
    PoisonBatch candidates = flips(context, count);
    const SampleScores scores = score_samples(context.model, candidates.samples);
    for (size_t i = 0; i < scores.loss.size(); ++i)
      if (scores.loss[i] <= cap) under.push_back(loss.size() + i);
    loss.insert(loss.end(), scores.loss.begin(), scores.loss.end());
    if (round == 0) {
      drawn = std::move(candidates);
    } else {
      drawn.samples.append(candidates.samples);
      drawn.seeds.append(candidates.seeds);
    }
  }
  std::vector<size_t> chosen(
      under.begin(), under.begin() + std::min<int64_t>(count, static_cast<int64_t>(under.size())));
  ProjectionCounts counts;
  if (static_cast<int64_t>(chosen.size()) < count) {
    // Not enough under the cap: the lowest-loss others, so the batch keeps its size.
    std::vector<size_t> over(loss.size());
    std::iota(over.begin(), over.end(), size_t{0});
    over.erase(std::remove_if(over.begin(), over.end(), [&](size_t i) { return loss[i] <= cap; }),
               over.end());
    std::stable_sort(over.begin(), over.end(),
                     [&](size_t a, size_t b) { return loss[a] < loss[b]; });
    counts.projected = count - static_cast<int64_t>(chosen.size());
    chosen.insert(chosen.end(), over.begin(), over.begin() + counts.projected);
  }
  PoisonBatch batch;
  batch.samples = drawn.samples.subset(chosen, drawn.samples.name);
  batch.seeds = drawn.seeds.subset(chosen, drawn.seeds.name);
  evasion_->record(count, counts, context.now);
  return batch;
}

PoisonBatch LabelFlipAttacker::generate(AttackContext& context, int64_t count) {
  if (evasion_) {
    if (const auto cap = evasion_->cap(context)) return flips_under_cap(context, count, *cap);
  }
  return flips(context, count);
}

}  // namespace poisonsim
