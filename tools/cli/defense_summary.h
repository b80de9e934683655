#pragma once
// `poisonsim inspect`'s account of each defense stage from the trace's `defense` table (trace
// format 4): what it removed by ground truth, its false-positive rate on windows that held no
// poison, the share of its removals that were clean, and its wall time.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace poisonsim {
class TraceReader;
}

namespace poisonsim::cli {

struct DefenseStageSummary {
  int stage = 0;  // as samples.rejected_by numbers it
  std::string kind;
  std::string type;
  int64_t windows = 0;  // windows it judged samples in
  int64_t poison_seen = 0, clean_seen = 0, poison_removed = 0, clean_removed = 0;
  // Windows where the stage was given no poison, and its clean verdicts there.
  int64_t clean_windows = 0, clean_windows_seen = 0, clean_windows_removed = 0;
  std::optional<double> seconds;  // wall seconds (defense_seconds), when the run recorded them
};

// Empty for traces older than format 4 (they have no defense table).
std::vector<DefenseStageSummary> summarise_defense(const TraceReader& reader);

nlohmann::ordered_json defense_json(const std::vector<DefenseStageSummary>& stages);
void print_defense(const std::vector<DefenseStageSummary>& stages);

}  // namespace poisonsim::cli
