#include "attackers/baselines/random_noise.h"

#include <algorithm>
#include <cmath>

#include "attackers/common/seed_samples.h"
#include "sim/kernel/random_stream.h"

namespace poisonsim {

namespace {

// L2 distance of clip(seed + scale * noise) from seed.
double clipped_distance(const float* seed, const std::vector<double>& noise, double scale) {
  double sq = 0;
  for (size_t p = 0; p < noise.size(); ++p) {
    const double moved = std::clamp(seed[p] + scale * noise[p], 0.0, 1.0) - seed[p];
    sq += moved * moved;
  }
  return std::sqrt(sq);
}

}  // namespace

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
    for (auto& v : noise) v /= std::max(std::sqrt(norm), 1e-12);
    // Clipping to [0, 1] shrinks the perturbation, so search the scale whose clipped distance
    // is l2 (it grows with the scale); a distance clipping cannot reach gets the largest one.
    const float* seed = seeds.image(i);
    double low = 0, high = l2;
    while (clipped_distance(seed, noise, high) < l2 && high < 1e4 * (l2 + 1)) high *= 2;
    for (int step = 0; step < 40; ++step) {
      const double mid = 0.5 * (low + high);
      (clipped_distance(seed, noise, mid) < l2 ? low : high) = mid;
    }
    float* image = noisy.image(i);
    for (size_t p = 0; p < per; ++p)
      image[p] = static_cast<float>(std::clamp(seed[p] + high * noise[p], 0.0, 1.0));
  }
  return noisy;
}

PoisonBatch RandomNoiseAttacker::generate(AttackContext& context, int64_t count) {
  const Dataset seeds = draw_seed_samples(context.clean_pool, count, context.rng);
  PoisonBatch batch;
  batch.samples = add_l2_noise(seeds, l2_, context.rng);
  batch.seeds = seeds;
  batch.samples.labels = poison_labels(seeds.labels, labels_, seeds.num_classes, context.rng);
  if (evasion_) {
    if (const auto cap = evasion_->cap(context))
      evasion_->project(context.model, batch, *cap, context.now);
  }
  return batch;
}

}  // namespace poisonsim
