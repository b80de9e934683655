#pragma once
// What a run observes, as named observations: a batch of arrivals judged or a system event (an
// events row), samples judged (samples rows), samples a sanitizer removed later, a retrain, an
// evaluation, a defense stage's tally of a window. The trace writer and the run's headline metrics are sinks of the same calls, so a new
// observer is a new sink, not an edit of the simulation; RowFanout hands each observation to every
// sink, in order.
#include <cstddef>
#include <cstdint>
#include <utility>
#include <vector>

#include "pipeline/trace/trace_rows.h"

namespace poisonsim {

// A sample a window sanitizer removed from the retraining window, after its samples row was
// recorded: the row's rejected_by becomes `stage` (numbered after the guard's stages).
struct SampleRemoval {
  int64_t row = 0;  // index in the samples table
  uint8_t stage = 0;
  uint8_t is_poison = 0;
};

class RowSink {
 public:
  virtual ~RowSink() = default;
  virtual void add_event(const EventRow& row) = 0;
  virtual void add_samples(const SampleRow* rows, size_t count) = 0;
  virtual void remove_samples(const SampleRemoval* removals, size_t count) = 0;
  virtual void add_retrain(const RetrainRow& row) = 0;
  virtual void add_evaluation(const EvaluationRow& row) = 0;
  // A defense stage's ground truth on one window; sinks that keep no per-stage figures ignore it.
  virtual void add_defense(const DefenseRow& /*row*/) {}
  // Scoring stages' scores of the samples they judged; sinks that keep none ignore them.
  virtual void add_scores(const ScoreRow* /*rows*/, size_t /*count*/) {}
};

class RowFanout final : public RowSink {
 public:
  explicit RowFanout(std::vector<RowSink*> sinks) : sinks_(std::move(sinks)) {}
  void add_event(const EventRow& row) override {
    for (auto* sink : sinks_) sink->add_event(row);
  }
  void add_samples(const SampleRow* rows, size_t count) override {
    for (auto* sink : sinks_) sink->add_samples(rows, count);
  }
  void remove_samples(const SampleRemoval* removals, size_t count) override {
    for (auto* sink : sinks_) sink->remove_samples(removals, count);
  }
  void add_retrain(const RetrainRow& row) override {
    for (auto* sink : sinks_) sink->add_retrain(row);
  }
  void add_evaluation(const EvaluationRow& row) override {
    for (auto* sink : sinks_) sink->add_evaluation(row);
  }
  void add_defense(const DefenseRow& row) override {
    for (auto* sink : sinks_) sink->add_defense(row);
  }
  void add_scores(const ScoreRow* rows, size_t count) override {
    for (auto* sink : sinks_) sink->add_scores(rows, count);
  }

 private:
  std::vector<RowSink*> sinks_;
};

}  // namespace poisonsim
