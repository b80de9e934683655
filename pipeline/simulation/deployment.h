#pragma once
// The deployed model: the LibTorch copy that retraining starts from, the serving engine that
// scores arrivals, a version number, and the recent past versions (for attackers whose knowledge
// is stale by N retrains).
#include <cstdint>
#include <deque>
#include <memory>
#include <vector>

#include "pipeline/data/dataset.h"
#include "pipeline/model/target_model.h"
#include "pipeline/model/training.h"

namespace poisonsim {

class ServingEngine;
class StateIn;
class StateOut;

class Deployment {
 public:
  // `history` is how many superseded versions to keep.
  Deployment(TargetModel initial, size_t history);
  ~Deployment();

  const TargetModel& model() const { return model_; }
  int64_t version() const { return version_; }
  // The version deployed `retrains_ago` deployments before the current one (the oldest kept if
  // there were fewer deployments).
  const TargetModel& past(size_t retrains_ago) const;

  // Replaces the deployed model and re-exports it to the serving engine.
  void deploy(TargetModel model);

  // Checkpoints: the version and the weights of the deployed and the kept past models.
  void save_state(StateOut& out) const;
  void load_state(StateIn& in);

  // Per-sample loss and prediction of the deployed model. Thread-safe; single-threaded inside
  // (callers parallelise across batches), so results never depend on the thread count.
  // `with_features`: also the features guards compare (ServingEngine::score); native targets only.
  SampleScores score(const Dataset& data, bool with_features = false) const;
  SampleScores score_range(const Dataset& data, size_t first, size_t count,
                           bool with_features = false) const;
  // Whether score() can give features, and their width (0 when it cannot).
  int64_t feature_dim() const;
  // The deployed model's features of every image (score_parallel in chunks of 256, so the
  // values do not depend on the thread count), n x feature_dim().
  std::vector<float> features(const Dataset& data) const;

  // Scores `data` in fixed chunks spread over the available oneTBB threads.
  SampleScores score_parallel(const Dataset& data, int64_t chunk = 256,
                              bool with_features = false) const;

 private:
  TargetModel model_;
  int64_t version_ = 0;
  size_t history_size_;
  std::deque<TargetModel> history_;
  std::unique_ptr<ServingEngine> engine_;  // null for TorchScript targets (LibTorch serves)
};

}  // namespace poisonsim
