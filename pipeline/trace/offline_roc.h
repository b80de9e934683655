#pragma once
// Detection metrics recomputed from a recorded per-sample trace: for each threshold, which
// samples a loss-threshold guard would have rejected (loss > threshold) given the losses the run
// recorded. It ignores the guard's feedback on retraining: with another threshold, other samples
// would have entered the buffer, other models would have been deployed, and the later losses
// would differ. The closed-loop answer is a full re-run per threshold (`poisonsim sweep`).
#include <cstdint>
#include <string>
#include <vector>

namespace poisonsim {

class TraceReader;

struct RocPoint {
  double threshold = 0;
  int64_t poison_rejected = 0;
  int64_t clean_rejected = 0;
  double true_positive_rate = 0;   // poison rejected / poison (NaN without poison)
  double false_positive_rate = 0;  // clean rejected / clean (NaN without clean samples)
};

struct OfflineRoc {
  int64_t poison = 0;
  int64_t clean = 0;
  std::vector<RocPoint> points;  // in the order of the thresholds given
  // Area under the full ROC curve over every threshold: the probability that a random poison
  // sample has a higher loss than a random clean one (ties count half). NaN without both kinds.
  double auc = 0;
};

// UserError naming the trace when it has no samples table (trace.samples was off).
OfflineRoc offline_roc(const TraceReader& reader, const std::vector<double>& thresholds);

// The same for a scoring stage (the `scores` table, trace_format 5): the samples that stage
// judged, rejected when its score exceeds the threshold. `stage` as samples.rejected_by numbers
// it. Offline too: a guard stage saw only what the stages before it accepted, a sanitizer only
// the window the guard let through. No thresholds: 17 from the smallest score to the largest.
// A stage that recorded no scores gives an empty curve (poison and clean 0).
OfflineRoc offline_stage_roc(const TraceReader& reader, uint8_t stage,
                             std::vector<double> thresholds);

}  // namespace poisonsim
