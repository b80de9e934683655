#pragma once
// Arriving batches, from streams and attackers, on their way to the retraining buffer.
// Between two retrains the deployed model does not change, so batches are queued as they arrive
// and scored together (in parallel) when something needs the outcome: a retrain, an evaluation,
// the end of the run, or a buffer that might be full. The guard's stages then see the batches one
// by one in arrival order, so their verdicts are the same whatever the thread count.
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "pipeline/data/dataset.h"
#include "pipeline/plugins/guard_chain.h"
#include "pipeline/plugins/guard_evidence.h"
#include "pipeline/plugins/registry.h"
#include "pipeline/trace/trace_rows.h"

namespace poisonsim {

class DefenseTally;
class Deployment;
class StateIn;
class StateOut;
class RetrainBuffer;
class RowSink;
struct SampleRow;
struct SampleScores;

// What a guard sees of each sample of `data` arriving at `time`, scored by the deployed model as
// `scores`: with its features when `feature_dim` > 0 (scores.features then holds them), without
// ground truth (the caller points an oracle stage at it). Valid while `data` and `scores` live.
std::vector<ScoredSample> scored_samples(const Dataset& data, const SampleScores& scores,
                                         int64_t feature_dim, double time);

struct ArrivingBatch {
  double time = 0;
  int64_t batch_id = 0;
  std::string source;
  bool is_poison = false;
  Dataset samples;                   // labels as they arrive
  std::vector<int64_t> true_labels;  // clean label of each image (differs under label noise)
};

class Ingestion {
 public:
  // Every judged batch becomes an events row and, with `trace_samples`, samples rows, handed to
  // `recorder` (the trace and the run's metrics); `tally` counts each guard stage's verdicts by
  // ground truth.
  Ingestion(Deployment& deployment, GuardChain& guard, RetrainBuffer& buffer, RowSink& recorder,
            DefenseTally& tally, bool trace_samples);

  void submit(ArrivingBatch batch);
  size_t pending_samples() const { return pending_samples_; }
  // Scores every pending batch and hands the samples to the guard and the buffer.
  void flush();

  // Checkpoints: the guard evidence and the batches not yet scored.
  void save_state(StateOut& out) const;
  void load_state(StateIn& in);

  // A resumed run's trace already holds this many samples rows (restored from the checkpoint):
  // the next sample's row follows them.
  void set_recorded_rows(int64_t rows) { recorded_rows_ = rows; }

  // The guard's verdicts on one attacker's samples judged so far; null before the first.
  const GuardEvidence* evidence(const std::string& source) const;

 private:
  // Guard verdicts, buffer and trace rows for one scored batch; called in arrival order.
  void judge_batch(const ArrivingBatch& batch, const SampleScores& scores,
                   std::vector<SampleRow>& rows);

  Deployment& deployment_;
  GuardChain& guard_;
  GuardNeeds needs_;
  RetrainBuffer& buffer_;
  RowSink& recorder_;
  DefenseTally& tally_;
  bool trace_samples_;
  std::vector<ArrivingBatch> pending_;
  size_t pending_samples_ = 0;
  int64_t recorded_rows_ = 0;  // samples rows handed to the recorder: the next row's index
  std::vector<ScoreRow> score_rows_;  // scoring stages' scores, recorded with the samples rows
  std::map<std::string, GuardEvidence> evidence_;  // poison sources only
};

}  // namespace poisonsim
