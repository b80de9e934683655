#include "pipeline/simulation/ingestion.h"

#include <tbb/parallel_for.h>

#include "pipeline/simulation/deployment.h"
#include "pipeline/simulation/retrain_buffer.h"
#include "pipeline/trace/trace_rows.h"
#include "pipeline/trace/trace_writer.h"

namespace poisonsim {

Ingestion::Ingestion(Deployment& deployment, SampleGuard& guard, RetrainBuffer& buffer,
                     TraceWriter& trace, bool trace_samples)
    : deployment_(deployment),
      guard_(guard),
      buffer_(buffer),
      trace_(trace),
      trace_samples_(trace_samples) {}

void Ingestion::submit(ArrivingBatch batch) {
  pending_samples_ += batch.samples.size();
  pending_.push_back(std::move(batch));
}

void Ingestion::flush() {
  if (pending_.empty()) return;
  // Scoring is independent per batch: spread it over the cores.
  std::vector<SampleScores> scores(pending_.size());
  tbb::parallel_for(size_t{0}, pending_.size(),
                    [&](size_t i) { scores[i] = deployment_.score(pending_[i].samples); });

  // Verdicts in arrival order.
  std::vector<SampleRow> rows;
  for (size_t b = 0; b < pending_.size(); ++b) {
    const ArrivingBatch& batch = pending_[b];
    EventRow event;
    event.time = batch.time;
    set_trace_name(event.kind, batch.is_poison ? "poison-batch" : "stream-batch");
    set_trace_name(event.source, batch.source);
    event.batch_id = batch.batch_id;
    event.size = static_cast<int64_t>(batch.samples.size());
    for (size_t i = 0; i < batch.samples.size(); ++i) {
      ScoredSample sample;
      sample.time = batch.time;
      sample.label = batch.samples.labels[i];
      sample.prediction = scores[b].prediction[i];
      sample.loss = scores[b].loss[i];
      const Verdict verdict = guard_.judge(sample);
      if (verdict == Verdict::accept) {
        buffer_.add(batch.samples.image(i), sample.label, batch.is_poison);
        ++event.accepted;
      } else {
        ++event.rejected;
      }
      if (trace_samples_) {
        SampleRow row;
        row.time = batch.time;
        row.batch_id = batch.batch_id;
        set_trace_name(row.source, batch.source);
        row.is_poison = batch.is_poison;
        row.label = sample.label;
        row.true_label = batch.true_labels[i];
        row.loss = sample.loss;
        row.prediction = sample.prediction;
        row.rejected = verdict == Verdict::reject;
        row.model_version = deployment_.version();
        rows.push_back(row);
      }
    }
    trace_.add_event(event);
    auto& s = stats_[batch.source];
    s.is_poison = batch.is_poison;
    ++s.batches;
    s.samples += event.size;
    s.rejected += event.rejected;
  }
  if (!rows.empty()) trace_.add_samples(rows.data(), rows.size());
  pending_.clear();
  pending_samples_ = 0;
}

}  // namespace poisonsim
