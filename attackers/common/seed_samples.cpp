#include "attackers/common/seed_samples.h"

#include <numeric>

#include "sim/kernel/random_stream.h"

namespace poisonsim {

std::vector<size_t> draw_seed_rows(size_t pool_size, int64_t count, RandomStream& rng) {
  std::vector<size_t> order(pool_size);
  std::iota(order.begin(), order.end(), size_t{0});
  std::vector<size_t> indices;
  indices.reserve(static_cast<size_t>(count));
  while (indices.size() < static_cast<size_t>(count)) {
    rng.shuffle(order.begin(), order.end());
    const size_t take = std::min(order.size(), static_cast<size_t>(count) - indices.size());
    indices.insert(indices.end(), order.begin(), order.begin() + static_cast<std::ptrdiff_t>(take));
  }
  return indices;
}

Dataset draw_seed_samples(const Dataset& pool, int64_t count, RandomStream& rng) {
  return pool.subset(draw_seed_rows(pool.size(), count, rng), pool.name + "/seeds");
}

}  // namespace poisonsim
