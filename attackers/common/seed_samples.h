#pragma once
// Drawing the clean samples every attack starts from (poison seeds, validation subsets, the
// clean part of a simulated retraining), from the attacker's own random stream.
#include <cstdint>

#include "pipeline/data/dataset.h"

namespace poisonsim {

class RandomStream;

// Draws `count` samples from `pool`: without replacement while the pool lasts, so a poison set
// of up to pool-size samples has distinct seeds.
Dataset draw_seed_samples(const Dataset& pool, int64_t count, RandomStream& rng);

}  // namespace poisonsim
