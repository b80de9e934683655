#pragma once
// What a window sanitizer implements: a judgement on the whole retraining window (the samples
// the guard accepted into the buffer) just before a retrain, with the deployed model's features
// of every sample. Unlike a per-sample guard it can compare the window's samples with each other
// (a class split in two, a direction that only some samples take). Implementations live in
// guards/window/ and register in guards/register_guards.cpp; the scenario lists them under
// `sanitize:` (docs/scenario.md).
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "pipeline/plugins/sample_guard.h"

namespace poisonsim {

// Clean-validation figures of a model trained on part of a window.
struct WindowValidation {
  double loss = 0;  // mean cross-entropy (nats) on the run's clean validation split
  double accuracy = 0;
};
// Trains a candidate as the coming retrain would (its policy, from the deployed model, without
// replay) on the window's samples whose `keep` entry is non-zero, and scores it on clean
// validation data: what the per-source gate (RONI) compares.
using WindowTrainer = std::function<WindowValidation(const std::vector<uint8_t>& keep)>;

// The window as a sanitizer sees it: labels and features of n samples, never whether a sample is
// poison.
struct SanitizeWindow {
  size_t size = 0;
  const int64_t* labels = nullptr;  // size labels, as the samples arrived
  const float* features = nullptr;  // size x feature_dim, the deployed model's
  int64_t feature_dim = 0;
  // Where each sample came from (an index into source_names: a stream or an attacker, as a
  // deployer knows its data's provenance) and a trainer; null where the chain runs without them
  // (`bench defenses`), where a stage that needs them judges nothing.
  const int32_t* sources = nullptr;
  const std::vector<std::string>* source_names = nullptr;
  const WindowTrainer* train = nullptr;
};

// What the simulation knows of a whole window besides features: each sample's source and a
// trainer over the whole window (SanitizerChain::run narrows both to what a stage is given).
struct WindowProvenance {
  std::vector<int32_t> sources;
  std::vector<std::string> source_names;
  WindowTrainer train;
};

// A sanitizer's outcome on one window.
struct SanitizeOutcome {
  std::vector<uint8_t> remove;  // per sample of the window: 1 to remove it from the retrain
  // Samples in classes the stage could not judge (too few of them for its rule): kept, and
  // counted so the trace records the no-op (an events row of kind `sanitize-noop`).
  int64_t unjudged = 0;
  // Optional: the stage's score of each sample (higher: more suspect; NaN where it scored none,
  // e.g. an unjudged class), for the trace's `scores` table. Empty: the stage has no score.
  std::vector<float> score;
};

class WindowSanitizer {
 public:
  virtual ~WindowSanitizer() = default;
  // Called once, before load_state() and the first sanitize(); the context outlives the stage.
  virtual void attach(const GuardContext& /*context*/) {}
  // `outcome.remove` arrives sized window.size and all zero.
  virtual void sanitize(const SanitizeWindow& window, SanitizeOutcome& outcome) = 0;
  // Bytes the stage holds (a bank of trusted images and features), for the run's memory
  // estimate; `image_floats` per image, `feature_dim` per feature vector.
  virtual int64_t memory_bytes(int64_t /*image_floats*/, int64_t /*feature_dim*/) const {
    return 0;
  }
  // The deployed model changed: features of trusted data must be recomputed.
  virtual void on_deploy() {}
  // Checkpoints: what sanitize() and on_deploy() change that a resumed run cannot recompute.
  virtual void save_state(StateOut& /*out*/) const {}
  virtual void load_state(StateIn& /*in*/) {}
};

using WindowSanitizerFactory = std::function<std::unique_ptr<WindowSanitizer>()>;
using WindowSanitizerParser = std::function<WindowSanitizerFactory(ConfigNode& node)>;

}  // namespace poisonsim
