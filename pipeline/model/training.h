#pragma once
// Training and evaluation of a target model (LibTorch underneath, torch-free here).
#include <cstdint>
#include <functional>
#include <vector>

#include "pipeline/data/dataset.h"
#include "pipeline/model/target_model.h"
#include "sim/util/enum_names.h"

namespace poisonsim {

class Progress;

// How the learning rate moves over a training run's steps, after any warm-up: `constant`;
// `linear` decay to lr/steps at the last step; `cosine` (half a cosine, Loshchilov & Hutter 2017)
// to near 0.
enum class LrSchedule { constant, linear, cosine };
const EnumNames<LrSchedule>& lr_schedule_names();

struct TrainOptions {
  int64_t epochs = 1;
  double learning_rate = 0.1;
  int64_t batch_size = 32;
  double momentum = 0.0;
  double weight_decay = 0.0;
  uint64_t seed = 0;  // shuffling order; the same seed gives the same model
  LrSchedule schedule = LrSchedule::constant;
  double warmup = 0;  // fraction of the steps over which lr rises linearly to its full value
  // Return the mean of the iterates after each step of the last epoch (Polyak-Ruppert
  // averaging) instead of the last iterate; buffers (batch-norm statistics) stay the last's.
  bool average_last_epoch = false;

  // Throws UserError naming `where` (e.g. "pretrain") when a value is out of range.
  void validate(const std::string& where) const;
};

struct TrainReport {
  int64_t samples_seen = 0;
  double last_epoch_mean_loss = 0;  // mean training loss over the last epoch
  double seconds = 0;
};

// The learning rate of step `step` (0-based) of `total_steps` under `options`' schedule and warm-up.
double scheduled_learning_rate(const TrainOptions& options, int64_t step, int64_t total_steps);

// Called after each epoch (1-based) with the model in evaluation mode, e.g. to keep the best
// epoch on validation data.
using EpochCallback = std::function<void(int64_t epoch, const TargetModel& model)>;

// Plain mini-batch SGD (optionally with momentum, weight decay, a learning-rate schedule and
// iterate averaging) over `data`, reshuffled every epoch. `progress`, when given, advances by one
// per sample.
TrainReport train_model(TargetModel& model, const Dataset& data, const TrainOptions& options,
                        Progress* progress = nullptr, const EpochCallback& after_epoch = {});

// What a retrain does with the deployed model: trains a copy of it on `data` and returns the
// copy, leaving `deployed` unchanged (Simulation's retrain tick and `bench training` call this).
TargetModel train_copy(const TargetModel& deployed, const Dataset& data,
                       const TrainOptions& options);

struct Evaluation {
  double accuracy = 0;
  double mean_loss = 0;  // mean cross-entropy
  int64_t samples = 0;
};

Evaluation evaluate(const TargetModel& model, const Dataset& data);

struct SampleScores {
  std::vector<float> loss;  // per-sample cross-entropy against the sample's own label
  std::vector<int64_t> prediction;
  std::vector<float> features;  // n x feature_dim when asked for (the serving engine's), else empty
};

// Accuracy and mean loss of per-sample scores against `labels` (same length), whichever side
// (LibTorch or the serving engine) computed them.
Evaluation summarize(const SampleScores& scores, const std::vector<int64_t>& labels);

// Per-sample loss and prediction on the training side (the oneDNN ServingEngine computes the
// same on the serving side).
SampleScores score_samples(const TargetModel& model, const Dataset& data);

}  // namespace poisonsim
