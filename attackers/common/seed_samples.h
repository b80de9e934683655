#pragma once
// Drawing the clean samples every attack starts from (poison seeds, validation subsets, the
// clean part of a simulated retraining), from the attacker's own random stream.
#include <cstddef>
#include <cstdint>
#include <vector>

#include "pipeline/data/dataset.h"

namespace poisonsim {

class RandomStream;

// Draws `count` samples from `pool`: without replacement while the pool lasts, so a poison set
// of up to pool-size samples has distinct seeds.
Dataset draw_seed_samples(const Dataset& pool, int64_t count, RandomStream& rng);
// The rows of `pool` draw_seed_samples takes, drawn the same way (a python attacker draws its
// seeds as the C++ ones do through it).
std::vector<size_t> draw_seed_rows(size_t pool_size, int64_t count, RandomStream& rng);

}  // namespace poisonsim
