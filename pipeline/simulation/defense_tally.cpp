#include "pipeline/simulation/defense_tally.h"

#include <algorithm>
#include <stdexcept>

#include <nlohmann/json.hpp>

#include "pipeline/plugins/guard_chain.h"
#include "pipeline/plugins/sanitizer_chain.h"
#include "pipeline/trace/row_sink.h"
#include "pipeline/trace/trace_rows.h"
#include "sim/kernel/state_archive.h"

namespace poisonsim {

DefenseTally::DefenseTally(std::vector<Stage> stages)
    : stages_(std::move(stages)), window_(stages_.size()) {
  while (guard_stages_ < stages_.size() && stages_[guard_stages_].kind == "guard") ++guard_stages_;
  for (size_t s = guard_stages_; s < stages_.size(); ++s)
    if (stages_[s].kind != "sanitize")
      throw std::invalid_argument("DefenseTally: guard stages first, then sanitizers");
}

void DefenseTally::count(size_t first, size_t stages, int8_t removed_by, bool is_poison) {
  // A chain's stage s sees the sample if no stage before it removed it.
  const size_t last = removed_by < 0 ? stages : static_cast<size_t>(removed_by) + 1;
  for (size_t s = 0; s < last; ++s) {
    Counts& c = window_.at(first + s);
    (is_poison ? c.poison_seen : c.clean_seen) += 1;
    if (static_cast<int>(s) == removed_by) (is_poison ? c.poison_removed : c.clean_removed) += 1;
  }
}

void DefenseTally::count_guard(const int8_t* rejected_by, size_t n, bool is_poison) {
  for (size_t i = 0; i < n; ++i) count(0, guard_stages_, rejected_by[i], is_poison);
}

void DefenseTally::count_sanitize(const std::vector<int8_t>& removed_by,
                                  const std::vector<uint8_t>& is_poison) {
  const size_t sanitizers = stages_.size() - guard_stages_;
  for (size_t i = 0; i < removed_by.size(); ++i)
    count(guard_stages_, sanitizers, removed_by[i], is_poison[i] != 0);
}

void DefenseTally::close_window(RowSink& sink, double time, int64_t window) {
  // Every sample reaches the first stage of its chain: a window with no arrivals and nothing to
  // sanitize has nothing seen anywhere.
  const bool judged = std::any_of(window_.begin(), window_.end(),
                                  [](const Counts& c) { return c.poison_seen + c.clean_seen > 0; });
  if (judged) {
    for (size_t s = 0; s < stages_.size(); ++s) {
      DefenseRow row;
      row.time = time;
      row.window = window;
      row.stage = static_cast<uint8_t>(s + 1);
      set_trace_name(row.kind, stages_[s].kind);
      set_trace_name(row.type, stages_[s].type);
      row.poison_seen = window_[s].poison_seen;
      row.clean_seen = window_[s].clean_seen;
      row.poison_removed = window_[s].poison_removed;
      row.clean_removed = window_[s].clean_removed;
      sink.add_defense(row);
    }
  }
  window_.assign(stages_.size(), Counts{});
}

void DefenseTally::save_state(StateOut& out) const {
  out.section("defense-tally");
  for (const Counts& c : window_)
    out(c.poison_seen, c.clean_seen, c.poison_removed, c.clean_removed);
}

void DefenseTally::load_state(StateIn& in) {
  in.section("defense-tally");
  for (Counts& c : window_) in(c.poison_seen, c.clean_seen, c.poison_removed, c.clean_removed);
}

std::vector<DefenseTally::Stage> defense_stages(const GuardChain& guard,
                                                const SanitizerChain* sanitizers) {
  std::vector<DefenseTally::Stage> stages;
  for (size_t s = 0; s < guard.size(); ++s) stages.push_back({"guard", guard.type(s)});
  for (size_t s = 0; sanitizers && s < sanitizers->size(); ++s)
    stages.push_back({"sanitize", sanitizers->type(s)});
  return stages;
}

std::string DefenseTally::seconds_json(const GuardChain& guard,
                                       const SanitizerChain* sanitizers) const {
  std::vector<double> seconds = guard.stage_seconds();
  if (sanitizers)
    seconds.insert(seconds.end(), sanitizers->stage_seconds().begin(),
                   sanitizers->stage_seconds().end());
  if (seconds.size() != stages_.size())
    throw std::logic_error("DefenseTally::seconds_json: not the tally's chains");
  nlohmann::ordered_json json = nlohmann::ordered_json::object();
  for (size_t s = 0; s < stages_.size(); ++s)
    json[std::to_string(s + 1) + " " + stages_[s].type] = seconds[s];
  return json.dump();
}

}  // namespace poisonsim
