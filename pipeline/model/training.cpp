#include "pipeline/model/training.h"

#include <chrono>
#include <cmath>
#include <numeric>

#include <fmt/format.h>

#include "pipeline/model/torch_model.h"
#include "sim/util/error.h"
#include "sim/util/progress.h"
#include "sim/kernel/random_stream.h"

namespace poisonsim {
namespace {

constexpr int64_t kEvalBatch = 1024;

void set_learning_rate(torch::optim::SGD& optimizer, double lr) {
  for (auto& group : optimizer.param_groups())
    static_cast<torch::optim::SGDOptions&>(group.options()).lr(lr);
}

// The running mean of the parameters over the iterates seen so far (Polyak-Ruppert).
class IterateAverage {
 public:
  void add(const std::vector<torch::Tensor>& parameters) {
    torch::NoGradGuard no_grad;
    ++count_;
    if (mean_.empty()) {
      for (const auto& p : parameters) mean_.push_back(p.detach().clone());
      return;
    }
    const double weight = 1.0 / static_cast<double>(count_);
    for (size_t i = 0; i < mean_.size(); ++i) mean_[i].add_(parameters[i] - mean_[i], weight);
  }
  void copy_to(const std::vector<torch::Tensor>& parameters) const {
    torch::NoGradGuard no_grad;
    for (size_t i = 0; i < mean_.size(); ++i) parameters[i].copy_(mean_[i]);
  }
  bool empty() const { return mean_.empty(); }

 private:
  std::vector<torch::Tensor> mean_;
  int64_t count_ = 0;
};

}  // namespace

const EnumNames<LrSchedule>& lr_schedule_names() {
  static const EnumNames<LrSchedule> names(
      "learning-rate schedule",
      {{LrSchedule::constant, "constant"}, {LrSchedule::linear, "linear"},
       {LrSchedule::cosine, "cosine"}});
  return names;
}

double scheduled_learning_rate(const TrainOptions& options, int64_t step, int64_t total_steps) {
  const double lr = options.learning_rate;
  const auto warmup_steps =
      static_cast<int64_t>(std::llround(options.warmup * static_cast<double>(total_steps)));
  if (step < warmup_steps)
    return lr * static_cast<double>(step + 1) / static_cast<double>(warmup_steps);
  const auto decay_steps = static_cast<double>(total_steps - warmup_steps);
  const auto done = static_cast<double>(step - warmup_steps);
  switch (options.schedule) {
    case LrSchedule::linear:
      return lr * (decay_steps - done) / decay_steps;
    case LrSchedule::cosine:
      return lr * 0.5 * (1.0 + std::cos(M_PI * done / decay_steps));
    case LrSchedule::constant:
      break;
  }
  return lr;
}

void TrainOptions::validate(const std::string& where) const {
  if (epochs < 1 || epochs > 100000)
    throw UserError(where + ".epochs", fmt::format("{}: expected 1 to 100000", epochs));
  if (!(learning_rate > 0) || learning_rate > 100)
    throw UserError(where + ".lr", fmt::format("{}: expected a value in (0, 100]", learning_rate));
  if (batch_size < 1 || batch_size > 1 << 20)
    throw UserError(where + ".batch_size", fmt::format("{}: expected 1 to 1048576", batch_size));
  if (momentum < 0 || momentum >= 1)
    throw UserError(where + ".momentum", fmt::format("{}: expected a value in [0, 1)", momentum));
  if (weight_decay < 0)
    throw UserError(where + ".weight_decay", fmt::format("{}: expected >= 0", weight_decay));
  if (!(warmup >= 0 && warmup < 1))
    throw UserError(where + ".warmup", fmt::format("{}: expected a value in [0, 1)", warmup));
}

TrainReport train_model(TargetModel& model, const Dataset& data, const TrainOptions& options,
                        Progress* progress, const EpochCallback& after_epoch) {
  const auto start = std::chrono::steady_clock::now();
  TrainReport report;
  if (data.empty()) return report;
  auto& impl = model.impl();
  impl.set_training(true);
  const auto parameters = impl.parameters();
  torch::optim::SGD optimizer(parameters, torch::optim::SGDOptions(options.learning_rate)
                                              .momentum(options.momentum)
                                              .weight_decay(options.weight_decay));
  const auto images = images_tensor(data);
  const auto labels = labels_tensor(data);
  std::vector<int64_t> order(data.size());
  std::iota(order.begin(), order.end(), int64_t{0});
  RandomStream rng(options.seed, "train/shuffle");
  const auto n = static_cast<int64_t>(data.size());
  const int64_t steps_per_epoch = (n + options.batch_size - 1) / options.batch_size;
  const int64_t total_steps = steps_per_epoch * options.epochs;
  const bool scheduled = options.schedule != LrSchedule::constant || options.warmup > 0;
  IterateAverage average;
  int64_t step = 0;
  for (int64_t epoch = 0; epoch < options.epochs; ++epoch) {
    rng.shuffle(order.begin(), order.end());
    const auto order_tensor = torch::from_blob(order.data(), {n}, torch::kInt64);
    const bool averaging = options.average_last_epoch && epoch + 1 == options.epochs;
    double loss_sum = 0;
    for (int64_t first = 0; first < n; first += options.batch_size, ++step) {
      const int64_t count = std::min(options.batch_size, n - first);
      const auto index = order_tensor.narrow(0, first, count);
      const auto loss = torch::nn::functional::cross_entropy(
          impl.forward(images.index_select(0, index)), labels.index_select(0, index));
      if (scheduled)
        set_learning_rate(optimizer, scheduled_learning_rate(options, step, total_steps));
      optimizer.zero_grad();
      loss.backward();
      optimizer.step();
      if (averaging) average.add(parameters);
      loss_sum += loss.item<double>() * static_cast<double>(count);
      report.samples_seen += count;
      if (progress)
        progress->advance(static_cast<double>(count),
                          fmt::format("epoch {}/{}", epoch + 1, options.epochs));
    }
    report.last_epoch_mean_loss = loss_sum / static_cast<double>(n);
    if (!average.empty()) average.copy_to(parameters);
    if (after_epoch) {
      impl.set_training(false);
      after_epoch(epoch + 1, model);
      impl.set_training(true);
    }
  }
  impl.set_training(false);
  report.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return report;
}

TargetModel train_copy(const TargetModel& deployed, const Dataset& data,
                       const TrainOptions& options) {
  auto candidate = deployed.clone();
  train_model(candidate, data, options);
  return candidate;
}

SampleScores score_samples(const TargetModel& model, const Dataset& data) {
  SampleScores scores;
  scores.loss.resize(data.size());
  scores.prediction.resize(data.size());
  if (data.empty()) return scores;
  torch::NoGradGuard no_grad;
  const auto logits = forward_in_chunks(model, images_tensor(data), kEvalBatch);
  const auto loss = torch::nn::functional::cross_entropy(
                        logits, labels_tensor(data),
                        torch::nn::functional::CrossEntropyFuncOptions().reduction(torch::kNone))
                        .contiguous();
  const auto prediction = logits.argmax(1).contiguous();
  std::copy_n(loss.data_ptr<float>(), data.size(), scores.loss.begin());
  std::copy_n(prediction.data_ptr<int64_t>(), data.size(), scores.prediction.begin());
  return scores;
}

Evaluation summarize(const SampleScores& scores, const std::vector<int64_t>& labels) {
  Evaluation result;
  result.samples = static_cast<int64_t>(labels.size());
  if (labels.empty()) return result;
  double loss_sum = 0;
  int64_t correct = 0;
  for (size_t i = 0; i < labels.size(); ++i) {
    loss_sum += scores.loss[i];
    correct += scores.prediction[i] == labels[i];
  }
  result.accuracy = static_cast<double>(correct) / static_cast<double>(labels.size());
  result.mean_loss = loss_sum / static_cast<double>(labels.size());
  return result;
}

Evaluation evaluate(const TargetModel& model, const Dataset& data) {
  return summarize(score_samples(model, data), data.labels);
}

}  // namespace poisonsim
