#pragma once
// What a run's data files were, recorded in its checkpoint and checked before a resume restores
// anything (issue 28): data.path is resolved from the working directory, so a resume started
// elsewhere can find other files, valid ones included, and would go on silently on other data.
// Per file its size and an FNV-1a digest of its bytes as stored (derive_seed, as the checkpoint
// digests use): it tells other or changed files apart, it does not resist a forger.
#include <string>

#include "pipeline/data/data_source.h"

namespace poisonsim {

// One line per file load_data(spec) reads, "<bytes> <digest> <path>"; "" for synthetic data.
// UserError naming a file that cannot be read.
std::string data_fingerprint(const DataSpec& spec);

// Throws UserError naming the first file whose size or digest differs from `recorded` (the
// fingerprint of the run that wrote the checkpoint `where`), saying what differs.
void check_data_fingerprint(const std::string& recorded, const DataSpec& spec,
                            const std::string& where);

}  // namespace poisonsim
