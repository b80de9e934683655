#pragma once
// How an attacker labels its poisoned samples: the label is the attacker's choice and part of
// the scenario (attackers.N.labels).
#include <cstdint>
#include <string>
#include <vector>
#include "sim/util/enum_names.h"

namespace poisonsim {

class RandomStream;

enum class PoisonLabels {
  seed,          // keep the label of the seed image (the paper's setting: only pixels change)
  next_class,    // y -> (y + 1) mod K
  random_other,  // y -> a uniformly drawn class other than y
  // Optimising attackers that support it (the direct method): per ascent problem, whichever of
  // seed, next-class and least-likely (the class the deployed model finds least probable)
  // labelling gives the highest objective at the seeds. poison_labels() returns the seed labels.
  objective,
};

// "seed", "next-class", "random-other", "objective"; UserError naming `where` otherwise.
const EnumNames<PoisonLabels>& poison_label_names();  // the names scenarios use
PoisonLabels parse_poison_labels(const std::string& text, const std::string& where);
std::string to_string(PoisonLabels rule);

// The labels the poison carries, one per seed label; `rng` drives random-other.
std::vector<int64_t> poison_labels(const std::vector<int64_t>& seed_labels, PoisonLabels rule,
                                   int64_t num_classes, RandomStream& rng);

}  // namespace poisonsim
