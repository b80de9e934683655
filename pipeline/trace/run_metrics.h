#pragma once
// The headline numbers of one run, computed from its rows in one place: while the run records
// them (its summary) and when a trace is read back (`poisonsim inspect`, a sweep's summary
// table per run; docs/trace-format.md), so the two cannot disagree.
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <vector>

#include "pipeline/trace/confidence_interval.h"
#include "pipeline/trace/row_sink.h"

namespace poisonsim {

class TraceReader;

struct RunMetrics {
  // Clean test accuracy of the deployed model over the evaluation ticks (NaN without any).
  double accuracy_first = 0;
  double accuracy_last = 0;
  double accuracy_min = 0;
  double accuracy_mean = 0;
  double accuracy_change = 0;  // accuracy_last - accuracy_first: did the run lose or gain?
  // The victim's stability: the lowest change in clean test accuracy a retrain's candidate made
  // (test_accuracy_after - test_accuracy_before, deployed or not; NaN without a retrain that
  // trained). Negative: the worst single retrain's loss.
  double retrain_test_change_min = 0;
  // Guard verdicts by ground truth. From the samples table when the trace has one; otherwise
  // from the batch events, where every sample of a poison batch counts as poison.
  int64_t poison_samples = 0;
  int64_t poison_rejected = 0;
  int64_t clean_samples = 0;
  int64_t clean_rejected = 0;
  double true_positive_rate = 0;   // poison_rejected / poison_samples (NaN without poison)
  double false_positive_rate = 0;  // clean_rejected / clean_samples (NaN without clean samples)
  // Poison among everything the guard accepted into the retraining buffer (NaN: none accepted).
  double poison_accepted_fraction = 0;
  // Mean over retrains of the poison fraction of the buffer trained on (NaN without retrains).
  double buffer_poison_fraction_mean = 0;
  int64_t retrains = 0;
  int64_t deployed = 0;
  int64_t refused = 0;  // retrained models the gate refused to deploy
  // Of those, the ones trained on a buffer without poison: refusals no attack caused. Not a
  // summary-table column (run_metric_fields).
  int64_t refused_without_poison = 0;
  bool counted_from_samples = false;
};

// Arrivals by source, in the order each source first delivered a batch.
struct SourceTotals {
  std::string name;
  bool is_poison = false;  // an attacker's batches (every sample poison) rather than a stream's
  int64_t batches = 0;
  int64_t samples = 0;
  int64_t rejected = 0;
};

// What one guard or sanitize stage rejected (samples.rejected_by), by ground truth.
struct StageRejections {
  int64_t poison = 0;
  int64_t clean = 0;
};

// The types of a run's stages as samples.rejected_by numbers them, from its resolved scenario
// text: the guard's (`guard:` a mapping or a list of them), then the `sanitize:` list's; empty
// when the text cannot be read.
std::vector<std::string> guard_stage_types(const std::string& scenario_yaml);

struct EvaluationPoint {
  double time = 0;
  double accuracy = 0;
  int64_t model_version = 0;
};

// Receives a run's rows (as a RowSink) and keeps what the headline numbers need, never the rows.
// `count_samples`: guard verdicts by ground truth come from samples rows (a trace with a samples
// table) rather than from the batch events.
class RunMetricsSink final : public RowSink {
 public:
  explicit RunMetricsSink(bool count_samples) { m_.counted_from_samples = count_samples; }
  void add_event(const EventRow& row) override;
  void add_samples(const SampleRow* rows, size_t count) override;
  void remove_samples(const SampleRemoval* removals, size_t count) override;
  void add_retrain(const RetrainRow& row) override;
  void add_evaluation(const EvaluationRow& row) override;

  RunMetrics metrics() const;  // the rates and means, from the counts so far
  const std::vector<SourceTotals>& sources() const { return sources_; }
  // Index i: stage i + 1 as the scenario lists them; empty without a samples table.
  const std::vector<StageRejections>& stage_rejections() const { return stages_; }
  int64_t events() const { return events_; }
  double last_event_time() const { return last_event_time_; }
  int64_t empty_retrains() const { return empty_retrains_; }  // nothing to train on
  // The retrains the gate refused, in order (few: at most one per retrain interval).
  const std::vector<RetrainRow>& refusals() const { return refusals_; }
  int64_t evaluations() const { return evaluations_; }
  const std::optional<EvaluationPoint>& first_evaluation() const { return first_; }
  const std::optional<EvaluationPoint>& last_evaluation() const { return last_; }
  const std::optional<EvaluationPoint>& lowest_evaluation() const { return lowest_; }

 private:
  RunMetrics m_;
  double poison_fraction_sum_ = 0;
  double accuracy_sum_ = 0;
  std::vector<SourceTotals> sources_;
  std::vector<StageRejections> stages_;
  int64_t events_ = 0;
  double last_event_time_ = 0;
  int64_t empty_retrains_ = 0;
  std::vector<RetrainRow> refusals_;
  int64_t evaluations_ = 0;
  std::optional<EvaluationPoint> first_, last_, lowest_;
  std::optional<double> lowest_retrain_change_;
};

// A RunMetricsSink fed with every row of the trace (the samples table in blocks, so memory stays
// bounded; only when the trace has one).
RunMetricsSink read_run_metrics(const TraceReader& reader);
// read_run_metrics(reader).metrics()
RunMetrics compute_run_metrics(const TraceReader& reader);

// One named column per RunMetrics number, in a fixed order: the summary table's metric columns.
// `kind` is what values the number can take: every real one is a proportion (accuracy, rate,
// fraction), every integer one a count; it picks the interval of its mean over seeds.
struct MetricField {
  const char* name;
  bool is_integer;
  QuantityKind kind;
  double (*as_double)(const RunMetrics&);
  int64_t (*as_integer)(const RunMetrics&);
};
const std::vector<MetricField>& run_metric_fields();

}  // namespace poisonsim
