#pragma once
// Deterministic splits of a data set into named parts (pretraining, validation, stream pool, ...).
#include <cstdint>
#include <string>
#include <vector>

#include "pipeline/data/dataset.h"

namespace poisonsim {

struct SplitPart {
  std::string name;
  int64_t count = -1;  // -1: everything the earlier parts left
};

// Shuffles the sample indices with a stream derived from `seed`, then deals them out to the
// parts in order. At most one part may take "the rest". Throws UserError (naming `where`) when the
// counts ask for more samples than there are.
std::vector<Dataset> split_dataset(const Dataset& data, const std::vector<SplitPart>& parts,
                                   uint64_t seed, const std::string& where = "splits");

}  // namespace poisonsim
