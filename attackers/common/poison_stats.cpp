#include "attackers/common/poison_stats.h"

#include <cmath>
#include <stdexcept>
#include <utility>
#include <vector>

#include "sim/kernel/random_stream.h"

namespace poisonsim {
namespace {

constexpr size_t kMaxPairs = 2000;

double l2_distance(const float* a, const float* b, size_t n) {
  double sum = 0;
  for (size_t i = 0; i < n; ++i) {
    const double d = static_cast<double>(a[i]) - static_cast<double>(b[i]);
    sum += d * d;
  }
  return std::sqrt(sum);
}

// All pairs i < j when there are few enough, otherwise kMaxPairs random pairs with i != j.
std::vector<std::pair<size_t, size_t>> sample_pairs(size_t n, RandomStream& rng) {
  std::vector<std::pair<size_t, size_t>> pairs;
  if (n < 2) return pairs;
  if (n * (n - 1) / 2 <= kMaxPairs) {
    for (size_t i = 0; i < n; ++i)
      for (size_t j = i + 1; j < n; ++j) pairs.emplace_back(i, j);
    return pairs;
  }
  pairs.reserve(kMaxPairs);
  while (pairs.size() < kMaxPairs) {
    const auto i = static_cast<size_t>(rng.below(n));
    // j != i: draw from the n - 1 others by skipping over i.
    const auto j = static_cast<size_t>((i + 1 + rng.below(n - 1)) % n);
    pairs.emplace_back(i, j);
  }
  return pairs;
}

double mean_pairwise(const Dataset& data, const std::vector<std::pair<size_t, size_t>>& pairs) {
  if (pairs.empty()) return 0;
  const auto per = static_cast<size_t>(data.shape.numel());
  double sum = 0;
  for (const auto& [i, j] : pairs) sum += l2_distance(data.image(i), data.image(j), per);
  return sum / static_cast<double>(pairs.size());
}

}  // namespace

PoisonStats poison_stats(const Dataset& poison, const Dataset& seeds, RandomStream& rng) {
  if (poison.size() != seeds.size() || poison.shape != seeds.shape)
    throw std::invalid_argument("poison_stats: poison and seeds must pair up sample by sample");
  PoisonStats stats;
  const size_t n = poison.size();
  if (n == 0) return stats;
  const auto per = static_cast<size_t>(poison.shape.numel());
  double sum = 0;
  for (size_t i = 0; i < n; ++i) sum += l2_distance(poison.image(i), seeds.image(i), per);
  stats.mean_l2_from_seed = sum / static_cast<double>(n);
  const auto pairs = sample_pairs(n, rng);
  stats.mean_pairwise_l2 = mean_pairwise(poison, pairs);
  stats.seed_pairwise_l2 = mean_pairwise(seeds, pairs);
  return stats;
}

}  // namespace poisonsim
