#pragma once
// The headline numbers of one run, computed from its trace tables: what `poisonsim inspect`
// prints and what a sweep's summary table holds per run (docs/trace-format.md).
#include <cstdint>
#include <string>
#include <vector>

namespace poisonsim {

class TraceReader;

struct RunMetrics {
  // Clean test accuracy of the deployed model over the evaluation ticks (NaN without any).
  double accuracy_first = 0;
  double accuracy_last = 0;
  double accuracy_min = 0;
  double accuracy_mean = 0;
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
  bool counted_from_samples = false;
};

// Reads the tables it needs (the samples table in blocks, so memory stays bounded).
RunMetrics compute_run_metrics(const TraceReader& reader);

// One named column per RunMetrics number, in a fixed order: the summary table's metric columns.
struct MetricField {
  const char* name;
  bool is_integer;
  double (*as_double)(const RunMetrics&);
  int64_t (*as_integer)(const RunMetrics&);
};
const std::vector<MetricField>& run_metric_fields();

}  // namespace poisonsim
