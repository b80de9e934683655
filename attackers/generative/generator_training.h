#pragma once
// G's training and G applied to a data set, on the LibTorch side
// (attackers/generative/generative_attack.h has the method). Private to attackers/; include only
// from .cpp files that use torch.
#include "attackers/generative/generative_attack.h"
#include "attackers/generative/generator_net.h"
#include "pipeline/data/dataset.h"

namespace poisonsim {

class Progress;
class RandomStream;

// G applied to every seed (no gradients); labels are copied from the seeds.
Dataset apply_generator(const GeneratorNet& net, const Dataset& seeds);

// One training of `net` against problem.model on seeds drawn from `pool` (the attacker's clean
// data) by options.rule, keeping the checkpoint that did the most measured damage; fills
// `report` (its train_seconds excepted).
void train_generator(const AttackProblem& problem, const Dataset& pool,
                     const GenerativeOptions& options, GeneratorNet& net, RandomStream& rng,
                     GenerativeReport& report, Progress* progress);

}  // namespace poisonsim
