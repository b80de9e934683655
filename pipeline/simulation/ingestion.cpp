#include "pipeline/simulation/ingestion.h"

#include <tbb/flow_graph.h>

#include "pipeline/simulation/defense_tally.h"
#include "pipeline/simulation/deployment.h"
#include "pipeline/simulation/retrain_buffer.h"
#include "pipeline/trace/row_sink.h"
#include "pipeline/trace/trace_rows.h"
#include "sim/kernel/state_archive.h"
#include "sim/util/error.h"

namespace poisonsim {

Ingestion::Ingestion(Deployment& deployment, GuardChain& guard, RetrainBuffer& buffer,
                     RowSink& recorder, DefenseTally& tally, bool trace_samples)
    : deployment_(deployment),
      guard_(guard),
      needs_(guard.needs()),
      buffer_(buffer),
      recorder_(recorder),
      tally_(tally),
      trace_samples_(trace_samples) {}

template <class Archive>
void serialize(Archive& archive, ArrivingBatch& batch) {
  Dataset& d = batch.samples;
  archive(batch.time, batch.batch_id, batch.source, batch.is_poison, d.name, d.shape.channels,
          d.shape.height, d.shape.width, d.num_classes, d.pixels, d.labels, batch.true_labels);
}

void Ingestion::save_state(StateOut& out) const {
  out.section("ingestion");
  out(evidence_, pending_);
}

void Ingestion::load_state(StateIn& in) {
  in.section("ingestion");
  in(evidence_, pending_);
  pending_samples_ = 0;
  for (const auto& batch : pending_) {
    const Dataset& d = batch.samples;
    if (d.shape.numel() <= 0 ||
        d.pixels.size() != d.labels.size() * static_cast<size_t>(d.shape.numel()) ||
        batch.true_labels.size() != d.labels.size())
      throw UserError(in.where(), "a saved arriving batch is corrupt");
    pending_samples_ += d.size();
  }
}

std::vector<ScoredSample> scored_samples(const Dataset& data, const SampleScores& scores,
                                         int64_t feature_dim, double time) {
  std::vector<ScoredSample> samples(data.size());
  for (size_t i = 0; i < samples.size(); ++i) {
    ScoredSample& sample = samples[i];
    sample.time = time;
    sample.label = data.labels[i];
    sample.prediction = scores.prediction[i];
    sample.loss = scores.loss[i];
    sample.image = data.image(i);
    if (feature_dim > 0) {
      sample.features = scores.features.data() + i * static_cast<size_t>(feature_dim);
      sample.feature_dim = feature_dim;
    }
  }
  return samples;
}

void Ingestion::submit(ArrivingBatch batch) {
  pending_samples_ += batch.samples.size();
  pending_.push_back(std::move(batch));
}

void Ingestion::flush() {
  if (pending_.empty()) return;
  std::vector<SampleRow> rows;
  // The ingestion graph: batches are scored in parallel (the deployed model is fixed until the
  // next retrain), a sequencer restores arrival order, and the guard judges serially, so its
  // verdicts do not depend on the thread count.
  using Scored = std::pair<size_t, SampleScores>;  // batch index in pending_, its scores
  tbb::flow::graph graph;
  tbb::flow::function_node<size_t, Scored> score(graph, tbb::flow::unlimited, [&](size_t i) {
    return Scored{i, deployment_.score(pending_[i].samples, needs_.features)};
  });
  tbb::flow::sequencer_node<Scored> in_arrival_order(graph,
                                                     [](const Scored& s) { return s.first; });
  tbb::flow::function_node<Scored, tbb::flow::continue_msg> judge(
      graph, tbb::flow::serial, [&](const Scored& s) {
        judge_batch(pending_[s.first], s.second, rows);
        return tbb::flow::continue_msg();
      });
  tbb::flow::make_edge(score, in_arrival_order);
  tbb::flow::make_edge(in_arrival_order, judge);
  for (size_t i = 0; i < pending_.size(); ++i) score.try_put(i);
  graph.wait_for_all();

  if (!rows.empty()) recorder_.add_samples(rows.data(), rows.size());
  recorded_rows_ += static_cast<int64_t>(rows.size());
  if (!score_rows_.empty()) recorder_.add_scores(score_rows_.data(), score_rows_.size());
  score_rows_.clear();
  pending_.clear();
  pending_samples_ = 0;
}

const GuardEvidence* Ingestion::evidence(const std::string& source) const {
  const auto it = evidence_.find(source);
  return it == evidence_.end() ? nullptr : &it->second;
}

void Ingestion::judge_batch(const ArrivingBatch& batch, const SampleScores& scores,
                            std::vector<SampleRow>& rows) {
  EventRow event;
  event.time = batch.time;
  set_trace_name(event.kind, batch.is_poison ? "poison-batch" : "stream-batch");
  set_trace_name(event.source, batch.source);
  event.batch_id = batch.batch_id;
  event.size = static_cast<int64_t>(batch.samples.size());
  // What a guard-aware attacker learns from the verdicts on its own samples.
  GuardEvidence* evidence = batch.is_poison ? &evidence_[batch.source] : nullptr;
  const size_t n = batch.samples.size();
  const int64_t feature_dim = needs_.features ? deployment_.feature_dim() : 0;
  const bool is_poison = batch.is_poison;
  std::vector<ScoredSample> samples =
      scored_samples(batch.samples, scores, feature_dim, batch.time);
  if (needs_.ground_truth)
    for (auto& sample : samples) sample.ground_truth = &is_poison;
  std::vector<int8_t> rejected_by(n);
  std::vector<StageScore> stage_scores;
  guard_.judge_stages(samples.data(), n, rejected_by.data(),
                      trace_samples_ ? &stage_scores : nullptr);
  tally_.count_guard(rejected_by.data(), n, batch.is_poison);
  // The batch's samples rows are pushed below, in order, from this row on.
  const int64_t first_row = recorded_rows_ + static_cast<int64_t>(rows.size());
  for (const auto& s : stage_scores)
    score_rows_.push_back(score_row(s, 1, batch.time, first_row + static_cast<int64_t>(s.sample),
                                    batch.is_poison));
  for (size_t i = 0; i < n; ++i) {
    const ScoredSample& sample = samples[i];
    const Verdict verdict = rejected_by[i] < 0 ? Verdict::accept : Verdict::reject;
    if (evidence) evidence->record(sample.loss, verdict);
    if (verdict == Verdict::accept) {
      // Its samples row is the one pushed below: a sanitizer's removal is recorded there.
      const int64_t row = trace_samples_ ? recorded_rows_ + static_cast<int64_t>(rows.size()) : -1;
      buffer_.add(batch.samples.image(i), sample.label, batch.is_poison, row, batch.source);
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
      row.rejected_by = static_cast<uint8_t>(rejected_by[i] + 1);
      row.model_version = deployment_.version();
      rows.push_back(row);
    }
  }
  recorder_.add_event(event);
}

}  // namespace poisonsim
