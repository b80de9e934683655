#pragma once
// Ground truth for every defense stage, window by window (the trace's `defense` table): what
// each guard stage judged of the arrivals and each sanitizer of the retraining window, and what
// it removed, counted by whether the samples were poison. The stages never see this; only the
// run, which made the poison, can count it.
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "pipeline/plugins/sample_guard.h"
#include "pipeline/trace/trace_rows.h"

namespace poisonsim {

class GuardChain;
class RowSink;
class SanitizerChain;
class StateIn;
class StateOut;

class DefenseTally {
 public:
  struct Stage {
    std::string kind;  // "guard" or "sanitize"
    std::string type;  // as the scenario names it
  };
  // Guard stages first, then sanitizers, as samples.rejected_by numbers them.
  explicit DefenseTally(std::vector<Stage> stages);

  // One arriving batch, all poison or all clean: sample i reached guard stages 0..rejected_by[i]
  // (every stage when -1) and was rejected by rejected_by[i].
  void count_guard(const int8_t* rejected_by, size_t n, bool is_poison);
  // One window's sanitizing: removed_by[i] is the sanitizer (0 = the first) that removed sample
  // i, or -1; sample i reached sanitizers 0..removed_by[i] (all when -1).
  void count_sanitize(const std::vector<int8_t>& removed_by, const std::vector<uint8_t>& is_poison);

  // One row per stage for the window that ends now (`window` = retrains.index, or -1 for the
  // arrivals after the last retrain), then counts start again. Nothing when the window had no
  // arrivals and nothing to sanitize.
  void close_window(RowSink& sink, double time, int64_t window);

  size_t stages() const { return stages_.size(); }
  size_t guard_stages() const { return guard_stages_; }

  // The trace's defense_seconds attribute: each stage's wall seconds, as the chains the tally was
  // made from (defense_stages) timed them, keyed "<stage> <type>".
  std::string seconds_json(const GuardChain& guard, const SanitizerChain* sanitizers) const;

  // Checkpoints: the counts of the window in progress.
  void save_state(StateOut& out) const;
  void load_state(StateIn& in);

 private:
  struct Counts {
    int64_t poison_seen = 0, clean_seen = 0, poison_removed = 0, clean_removed = 0;
  };
  // One sample through a chain of `stages` stages numbered from `first`, removed by stage
  // `removed_by` of the chain (-1: by none).
  void count(size_t first, size_t stages, int8_t removed_by, bool is_poison);

  std::vector<Stage> stages_;
  size_t guard_stages_ = 0;
  std::vector<Counts> window_;
};

// A chain's score of one sample as a row of the trace's `scores` table: `first_stage` is the
// number samples.rejected_by gives the chain's stage 0 (1 for the guard's, after the guard's
// stages for the sanitizers').
inline ScoreRow score_row(const StageScore& score, size_t first_stage, double time,
                          int64_t sample_row, bool is_poison) {
  ScoreRow row;
  row.time = time;
  row.sample = sample_row;
  row.stage = static_cast<uint8_t>(first_stage + score.stage);
  row.is_poison = is_poison;
  row.rejected = score.rejected;
  row.score = score.score;
  return row;
}

// The stages of a run's guard chain and its sanitizers (null without `sanitize:`), in order.
std::vector<DefenseTally::Stage> defense_stages(const GuardChain& guard,
                                                const SanitizerChain* sanitizers);

}  // namespace poisonsim
