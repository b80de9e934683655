#pragma once
// Digests of a checkpoint's parts (issue 28, item 2): written beside them and checked before
// anything is restored, so a checkpoint changed after it was written (an edited seed in its
// scenario, a damaged disk) is one error naming the part, not a resumed run that is silently
// wrong. FNV-1a, mixed (sim/kernel/random_stream.h): it catches damage and edits, not a forger who
// can write the file and recompute the digests (docs/security.md).
#include <string>
#include <utility>
#include <vector>

#include "pipeline/trace/checkpoint_file.h"

namespace poisonsim {

// (attribute name, digest as 16 hex digits) for each part: the state, the scenario (its path
// and resolved YAML), the saved trace, the settings (version, build commit, trace output, times,
// machine) and the data files' fingerprint.
std::vector<std::pair<std::string, std::string>> checkpoint_digests(const CheckpointFile& c);

// The parts whose digest differs from `stored` (same order and names as checkpoint_digests);
// a missing stored digest counts as differing.
std::vector<std::string> parts_not_matching(
    const CheckpointFile& c, const std::vector<std::pair<std::string, std::string>>& stored);

}  // namespace poisonsim
