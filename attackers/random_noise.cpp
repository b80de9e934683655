#include "attackers/random_noise.h"

#include <algorithm>
#include <cmath>

#include "attackers/label_flip.h"
#include "sim/random_stream.h"

namespace poisonsim {

Dataset add_l2_noise(const Dataset& seeds, double l2, RandomStream& rng) {
  Dataset noisy = seeds;
  noisy.name = seeds.name + "/noise";
  const auto per = static_cast<size_t>(seeds.shape.numel());
  std::vector<double> noise(per);
  for (size_t i = 0; i < seeds.size(); ++i) {
    double norm = 0;
    for (auto& v : noise) {
      v = rng.normal();
      norm += v * v;
    }
    const double scale = norm > 0 ? l2 / std::sqrt(norm) : 0.0;
    float* image = noisy.image(i);
    for (size_t p = 0; p < per; ++p)
      image[p] = static_cast<float>(std::clamp(image[p] + scale * noise[p], 0.0, 1.0));
  }
  return noisy;
}

PoisonBatch RandomNoiseAttacker::generate(AttackContext& context, int64_t count) {
  const Dataset seeds = draw_seed_samples(context.clean_pool, count, context.rng);
  PoisonBatch batch;
  batch.samples = add_l2_noise(seeds, l2_, context.rng);
  batch.seeds = seeds;
  batch.samples.labels = poison_labels(seeds.labels, labels_, seeds.num_classes, context.rng);
  return batch;
}

}  // namespace poisonsim
