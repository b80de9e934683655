#include "guards/window/source_gate.h"

#include <map>
#include <vector>

#include "pipeline/scenario/config_node.h"
#include "sim/kernel/state_archive.h"

namespace poisonsim {

SourceGateOptions read_source_gate_options(ConfigNode& node) {
  SourceGateOptions o;
  o.epsilon = node.get<double>("epsilon", o.epsilon, in_range(0, 10));
  const auto metric = node.get<std::string>("metric", "accuracy", one_of({"accuracy", "loss"}));
  o.metric = metric == "loss" ? SourceGateMetric::loss : SourceGateMetric::accuracy;
  const auto quarantine = node.get<std::string>("quarantine", "run", one_of({"window", "run"}));
  o.quarantine = quarantine == "window" ? Quarantine::window : Quarantine::run;
  o.min_source_samples =
      node.get<int64_t>("min_source_samples", o.min_source_samples, int_in_range(1, 100000000));
  return o;
}

void SourceGate::sanitize(const SanitizeWindow& window, SanitizeOutcome& outcome) {
  const auto n = window.size;
  if (!window.sources || !window.source_names || !window.train) {
    outcome.unjudged = static_cast<int64_t>(n);  // no provenance, no trainer: nothing to compare
    return;
  }
  const auto& names = *window.source_names;
  // Quarantined sources go first, untested; the others are judged if large enough.
  std::map<std::string, std::vector<size_t>> judged;  // by name: a fixed order
  int64_t too_small = 0;
  std::map<std::string, std::vector<size_t>> rows_of;
  for (size_t i = 0; i < n; ++i)
    rows_of[names.at(static_cast<size_t>(window.sources[i]))].push_back(i);
  for (const auto& [name, rows] : rows_of) {
    if (quarantined_.count(name)) {
      for (size_t i : rows) outcome.remove[i] = 1;
    } else if (static_cast<int64_t>(rows.size()) >= options_.min_source_samples) {
      judged[name] = rows;
    } else {
      too_small += static_cast<int64_t>(rows.size());
    }
  }
  if (judged.size() < 2) {
    // One source (or none) to weigh: removing it would leave nothing to compare with.
    for (const auto& [name, rows] : judged) outcome.unjudged += static_cast<int64_t>(rows.size());
    outcome.unjudged += too_small;
    return;
  }
  outcome.unjudged = too_small;
  std::vector<uint8_t> keep(n);
  for (size_t i = 0; i < n; ++i) keep[i] = outcome.remove[i] ? 0 : 1;
  const WindowValidation with_all = (*window.train)(keep);
  for (const auto& [name, rows] : judged) {
    std::vector<uint8_t> without = keep;
    for (size_t i : rows) without[i] = 0;
    const WindowValidation v = (*window.train)(without);
    const double gain = options_.metric == SourceGateMetric::accuracy
                            ? v.accuracy - with_all.accuracy
                            : with_all.loss - v.loss;
    if (gain <= options_.epsilon) continue;
    for (size_t i : rows) outcome.remove[i] = 1;
    if (options_.quarantine == Quarantine::run) quarantined_.insert(name);
  }
}

void SourceGate::save_state(StateOut& out) const {
  out.section("sanitize/per-source");
  out(quarantined_);
}

void SourceGate::load_state(StateIn& in) {
  in.section("sanitize/per-source");
  in(quarantined_);
}

}  // namespace poisonsim
