#include "pipeline/simulation/defense_tally.h"

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

void DefenseTally::count(size_t stage, bool is_poison, bool removed) {
  Counts& c = window_.at(stage);
  (is_poison ? c.poison_seen : c.clean_seen) += 1;
  if (removed) (is_poison ? c.poison_removed : c.clean_removed) += 1;
}

void DefenseTally::count_guard(const int8_t* rejected_by, size_t n, bool is_poison) {
  for (size_t i = 0; i < n; ++i) {
    const size_t last =
        rejected_by[i] < 0 ? guard_stages_ : static_cast<size_t>(rejected_by[i]) + 1;
    for (size_t s = 0; s < last; ++s) count(s, is_poison, static_cast<int>(s) == rejected_by[i]);
  }
  judged_ = judged_ || n > 0;
}

void DefenseTally::count_sanitize(const std::vector<int8_t>& removed_by,
                                  const std::vector<uint8_t>& is_poison) {
  const size_t sanitizers = stages_.size() - guard_stages_;
  for (size_t i = 0; i < removed_by.size(); ++i) {
    const size_t last = removed_by[i] < 0 ? sanitizers : static_cast<size_t>(removed_by[i]) + 1;
    for (size_t s = 0; s < last; ++s)
      count(guard_stages_ + s, is_poison[i] != 0, static_cast<int>(s) == removed_by[i]);
  }
  judged_ = judged_ || !removed_by.empty();
}

void DefenseTally::close_window(RowSink& sink, double time, int64_t window) {
  if (judged_) {
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
  judged_ = false;
}

void DefenseTally::save_state(StateOut& out) const {
  out.section("defense-tally");
  out(judged_);
  for (const Counts& c : window_)
    out(c.poison_seen, c.clean_seen, c.poison_removed, c.clean_removed);
}

void DefenseTally::load_state(StateIn& in) {
  in.section("defense-tally");
  in(judged_);
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

std::string defense_seconds_json(const GuardChain& guard, const SanitizerChain* sanitizers) {
  nlohmann::ordered_json seconds = nlohmann::ordered_json::object();
  size_t number = 0;
  for (size_t s = 0; s < guard.size(); ++s)
    seconds[std::to_string(++number) + " " + guard.type(s)] = guard.stage_seconds()[s];
  for (size_t s = 0; sanitizers && s < sanitizers->size(); ++s)
    seconds[std::to_string(++number) + " " + sanitizers->type(s)] = sanitizers->stage_seconds()[s];
  return seconds.dump();
}

}  // namespace poisonsim
