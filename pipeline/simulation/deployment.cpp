#include "pipeline/simulation/deployment.h"

#include <algorithm>
#include <stdexcept>

#include <tbb/parallel_for.h>

#include "pipeline/runtime/compute_threads.h"
#include "pipeline/serving/serving_engine.h"
#include "sim/kernel/state_archive.h"
#include "sim/util/error.h"

namespace poisonsim {

Deployment::Deployment(TargetModel initial, size_t history)
    : model_(std::move(initial)), history_size_(history) {
  if (model_.is_native()) {
    engine_ = std::make_unique<ServingEngine>(model_.spec());
    engine_->load_weights(model_.weights());
  }
}

Deployment::~Deployment() = default;

const TargetModel& Deployment::past(size_t retrains_ago) const {
  if (retrains_ago == 0 || history_.empty()) return model_;
  return history_[std::min(retrains_ago, history_.size()) - 1];
}

void Deployment::deploy(TargetModel model) {
  if (history_size_ > 0) {
    history_.push_front(std::move(model_));
    if (history_.size() > history_size_) history_.pop_back();
  }
  model_ = std::move(model);
  ++version_;
  if (engine_) engine_->load_weights(model_.weights());
}

void Deployment::save_state(StateOut& out) const {
  out.section("deployment");
  out(version_, model_.state(), static_cast<uint64_t>(history_.size()));
  for (const auto& past_model : history_) out(past_model.state());
}

void Deployment::load_state(StateIn& in) {
  in.section("deployment");
  std::vector<std::vector<float>> values;
  uint64_t kept = 0;
  in(version_, values, kept);
  if (kept > history_size_) throw UserError(in.where(), "keeps more past models than the scenario");
  model_.set_state(values, in.where());
  history_.clear();
  for (uint64_t i = 0; i < kept; ++i) {
    in(values);
    history_.push_back(model_.clone());
    history_.back().set_state(values, in.where());
  }
  if (engine_) engine_->load_weights(model_.weights());
}

SampleScores Deployment::score(const Dataset& data, bool with_features) const {
  return score_range(data, 0, data.size(), with_features);
}

int64_t Deployment::feature_dim() const { return engine_ ? engine_->feature_dim() : 0; }

std::vector<float> Deployment::features(const Dataset& data) const {
  if (feature_dim() == 0) throw std::logic_error("Deployment::features: not a native target");
  return score_parallel(data, 256, true).features;
}

SampleScores Deployment::score_range(const Dataset& data, size_t first, size_t count,
                                     bool with_features) const {
  ScopedOmpThreads one_thread(1);
  if (with_features && !engine_)
    throw std::logic_error("Deployment: features need the serving engine (mlp or cnn targets)");
  if (!engine_) {
    std::vector<size_t> indices(count);
    for (size_t i = 0; i < count; ++i) indices[i] = first + i;
    return score_samples(model_, data.subset(indices));
  }
  auto scores = engine_->score(data.image(first), data.labels.data() + first,
                               static_cast<int64_t>(count), with_features);
  return {std::move(scores.loss), std::move(scores.prediction), std::move(scores.features)};
}

SampleScores Deployment::score_parallel(const Dataset& data, int64_t chunk,
                                        bool with_features) const {
  const auto dim = with_features ? feature_dim() : 0;
  SampleScores out;
  out.loss.resize(data.size());
  out.prediction.resize(data.size());
  out.features.resize(data.size() * static_cast<size_t>(dim));
  const auto n = static_cast<int64_t>(data.size());
  const int64_t chunks = (n + chunk - 1) / chunk;
  tbb::parallel_for(int64_t{0}, chunks, [&](int64_t c) {
    const int64_t first = c * chunk;
    const int64_t count = std::min(chunk, n - first);
    const auto part = score_range(data, static_cast<size_t>(first), static_cast<size_t>(count),
                                  with_features);
    std::copy(part.loss.begin(), part.loss.end(), out.loss.begin() + first);
    std::copy(part.prediction.begin(), part.prediction.end(), out.prediction.begin() + first);
    std::copy(part.features.begin(), part.features.end(), out.features.begin() + first * dim);
  });
  return out;
}

}  // namespace poisonsim
