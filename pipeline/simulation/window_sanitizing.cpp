#include "pipeline/simulation/window_sanitizing.h"

#include <cstdint>
#include <vector>

#include "pipeline/plugins/sample_guard.h"
#include "pipeline/plugins/sanitizer_chain.h"
#include "pipeline/simulation/defense_tally.h"
#include "pipeline/simulation/retrain_buffer.h"
#include "pipeline/trace/row_sink.h"
#include "pipeline/trace/trace_rows.h"

namespace poisonsim {

void sanitize_window(SanitizerChain& sanitizers, const GuardContext& context, DefenseTally& tally,
                     RetrainBuffer& buffer, RowSink& recorder, double now,
                     const SubsetTrainer& train) {
  const size_t guard_stages = tally.guard_stages();
  const Dataset& window = buffer.contents();
  const std::vector<float> features =
      window.empty() ? std::vector<float>{} : context.features(window);
  WindowProvenance provenance{buffer.sources(), buffer.source_names(), {}};
  if (train)
    provenance.train = [&](const std::vector<uint8_t>& keep) {
      std::vector<size_t> kept;
      for (size_t i = 0; i < keep.size(); ++i)
        if (keep[i]) kept.push_back(i);
      return train(window.subset(kept, window.name));
    };
  std::vector<int8_t> removed_by;
  std::vector<StageScore> stage_scores;
  const auto reports = sanitizers.run(window.labels, features, context.feature_dim(), removed_by,
                                      &provenance, &stage_scores);
  const std::vector<uint8_t>& is_poison = buffer.poison_flags();
  std::vector<ScoreRow> score_rows;
  for (const auto& s : stage_scores)
    if (buffer.sample_row(s.sample) >= 0)  // else no samples row to name (trace.samples off)
      score_rows.push_back(score_row(s, guard_stages + 1, now, buffer.sample_row(s.sample),
                                     is_poison[s.sample] != 0));
  if (!score_rows.empty()) recorder.add_scores(score_rows.data(), score_rows.size());
  tally.count_sanitize(removed_by, is_poison);
  std::vector<uint8_t> drop(window.size());
  std::vector<SampleRemoval> removals;
  for (size_t i = 0; i < window.size(); ++i) {
    if (removed_by[i] < 0) continue;
    drop[i] = 1;
    // Numbered after the guard's stages: samples.rejected_by counts both.
    const auto stage = static_cast<uint8_t>(guard_stages + static_cast<size_t>(removed_by[i]) + 1);
    if (buffer.sample_row(i) >= 0)
      removals.push_back({buffer.sample_row(i), stage, is_poison[i]});
  }
  if (!removals.empty()) recorder.remove_samples(removals.data(), removals.size());
  for (const auto& report : reports) {
    auto event = system_event(now, "sanitize");
    set_trace_name(event.source, report.type);
    event.size = report.seen;
    event.accepted = report.seen - report.removed;
    event.rejected = report.removed;
    recorder.add_event(event);
    // The documented no-op: an empty window, or classes with too few samples to judge.
    if (report.seen == 0 || report.unjudged > 0) {
      auto noop = system_event(now, "sanitize-noop");
      set_trace_name(noop.source, report.type);
      noop.size = report.unjudged;
      noop.accepted = report.unjudged;
      recorder.add_event(noop);
    }
  }
  buffer.remove(drop);
}

}  // namespace poisonsim
