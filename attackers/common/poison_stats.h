#pragma once
// Distance statistics of a poison set against its seeds (reports, attack summaries).
#include "attackers/common/attack_problem.h"
#include "pipeline/data/dataset.h"

namespace poisonsim {

class RandomStream;

// `poison` and `seeds` pair up sample by sample (same size and shape; std::invalid_argument
// otherwise). Pairwise distances use all pairs when there are at most 2000, else 2000 pairs
// drawn from `rng`; the seeds are measured on the same pairs.
PoisonStats poison_stats(const Dataset& poison, const Dataset& seeds, RandomStream& rng);

}  // namespace poisonsim
