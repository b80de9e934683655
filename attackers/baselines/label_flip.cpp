#include "attackers/baselines/label_flip.h"

#include "attackers/common/seed_samples.h"
#include "sim/kernel/random_stream.h"

namespace poisonsim {

PoisonBatch LabelFlipAttacker::generate(AttackContext& context, int64_t count) {
  PoisonBatch batch;
  batch.seeds = draw_seed_samples(context.clean_pool, count, context.rng);
  batch.samples = batch.seeds;
  batch.samples.labels =
      poison_labels(batch.seeds.labels, rule_, batch.samples.num_classes, context.rng);
  return batch;
}

}  // namespace poisonsim
