#include "tools/cli/defense_summary.h"

#include <map>

#include <fmt/format.h>

#include "pipeline/trace/trace_reader.h"
#include "tools/cli/optional_number.h"

namespace poisonsim::cli {
namespace {

std::string fraction_text(int64_t part, int64_t whole) {
  const auto r = ratio(part, whole);
  return r ? fmt::format("{:.4f} ({} of {})", *r, part, whole) : "- (none seen)";
}

}  // namespace

std::vector<DefenseStageSummary> summarise_defense(const TraceReader& reader) {
  std::map<int, DefenseStageSummary> by_stage;
  for (const DefenseRow& row : reader.defense()) {
    DefenseStageSummary& s = by_stage[row.stage];
    s.stage = row.stage;
    s.kind = trace_name(row.kind);
    s.type = trace_name(row.type);
    if (row.poison_seen + row.clean_seen > 0) ++s.windows;
    s.poison_seen += row.poison_seen;
    s.clean_seen += row.clean_seen;
    s.poison_removed += row.poison_removed;
    s.clean_removed += row.clean_removed;
    if (row.poison_seen == 0 && row.clean_seen > 0) {
      ++s.clean_windows;
      s.clean_windows_seen += row.clean_seen;
      s.clean_windows_removed += row.clean_removed;
    }
  }
  // "<stage> <type>": wall seconds (absent while the run goes on).
  const auto seconds =
      nlohmann::json::parse(reader.metadata().defense_seconds, nullptr, /*allow_exceptions=*/false);
  std::vector<DefenseStageSummary> stages;
  for (auto& [stage, s] : by_stage) {
    const std::string key = fmt::format("{} {}", stage, s.type);
    if (seconds.is_object() && seconds.contains(key) && seconds[key].is_number())
      s.seconds = seconds[key].get<double>();
    stages.push_back(s);
  }
  return stages;
}

nlohmann::ordered_json defense_json(const std::vector<DefenseStageSummary>& stages) {
  nlohmann::ordered_json out = nlohmann::ordered_json::array();
  for (const auto& s : stages)
    out.push_back({{"stage", s.stage},
                   {"kind", s.kind},
                   {"type", s.type},
                   {"windows", s.windows},
                   {"poison_seen", s.poison_seen},
                   {"poison_removed", s.poison_removed},
                   {"clean_seen", s.clean_seen},
                   {"clean_removed", s.clean_removed},
                   {"true_positive_rate", json_or_null(ratio(s.poison_removed, s.poison_seen))},
                   {"false_positive_rate", json_or_null(ratio(s.clean_removed, s.clean_seen))},
                   {"clean_windows", s.clean_windows},
                   {"clean_window_false_positive_rate",
                    json_or_null(ratio(s.clean_windows_removed, s.clean_windows_seen))},
                   {"removed_not_poison",
                    json_or_null(ratio(s.clean_removed, s.clean_removed + s.poison_removed))},
                   {"wall_seconds",
                    s.seconds ? nlohmann::ordered_json(*s.seconds) : nlohmann::ordered_json()}});
  return out;
}

void print_defense(const std::vector<DefenseStageSummary>& stages) {
  if (stages.empty()) return;
  fmt::print("defense    each stage by ground truth (what it was given; trace table `defense`)\n");
  for (const auto& s : stages) {
    fmt::print("           {} {} {:<22} over {} window{}, wall {}\n", s.stage, s.kind, s.type,
               s.windows, s.windows == 1 ? "" : "s",
               s.seconds ? fmt::format("{:.3g} s", *s.seconds) : "-");
    fmt::print("             poison removed      {}\n",
               fraction_text(s.poison_removed, s.poison_seen));
    fmt::print("             clean removed       {}\n",
               fraction_text(s.clean_removed, s.clean_seen));
    fmt::print("             on {} window{} with no poison: {}\n", s.clean_windows,
               s.clean_windows == 1 ? "" : "s",
               fraction_text(s.clean_windows_removed, s.clean_windows_seen));
    fmt::print("             removed, not poison {}\n",
               fraction_text(s.clean_removed, s.clean_removed + s.poison_removed));
  }
}

}  // namespace poisonsim::cli
