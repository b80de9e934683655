#pragma once
// Why the gate refused each retrain it refused (retrains.gate_reason and gate_margin), as
// `poisonsim inspect` prints it and lists it in --json, and the count of refusals no attack
// caused (a buffer without poison).
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "pipeline/trace/trace_reader.h"

namespace poisonsim::cli {

// One refusal in words: the limit, how far the candidate went (loss in nats, accuracy as a
// fraction), how far past the limit, and the poison among the samples trained on.
std::string refusal_text(const RetrainRow& row);

// The refusals, at most `shown` of them and then how many more, and the line
// "N refused with no poison in the buffer"; nothing when the gate refused none.
void print_refusals(const std::vector<RetrainRow>& refusals, size_t shown = 10);

// Every refusal as an object: time, index, reason, margin, what the gate compared, the poison.
nlohmann::ordered_json refusals_json(const std::vector<RetrainRow>& refusals);

}  // namespace poisonsim::cli
