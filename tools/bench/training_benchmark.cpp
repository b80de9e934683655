#include "tools/bench/training_benchmark.h"

#include "tools/bench/bench_median.h"

#include <cstdlib>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <filesystem>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "pipeline/runtime/compute_threads.h"
#include "pipeline/runtime/numeric_runtime.h"
#include "pipeline/model/target_model.h"
#include "pipeline/scenario/scenario.h"
#include "pipeline/simulation/run_data.h"
#include "sim/util/error.h"
#include "sim/kernel/random_stream.h"
#include "tools/bench/bare_training_loop.h"
#include "tools/common/builtin_plugins.h"

namespace poisonsim::bench {
namespace {

// `count` samples of the stream pool (what the retraining buffer fills from), from its start,
// wrapping around when the pool is smaller.
Dataset retraining_set(const Dataset& pool, int64_t count) {
  if (pool.empty()) throw UserError("data.splits", "the stream pool is empty: nothing to train on");
  std::vector<size_t> indices(static_cast<size_t>(count));
  for (size_t i = 0; i < indices.size(); ++i) indices[i] = i % pool.size();
  return pool.subset(indices, "retraining set");
}

// The simulation's retraining: a copy of the deployed model trained on the set.
double pipeline_round(const TargetModel& deployed, const Dataset& set, const TrainOptions& train,
                      ModelWeights* trained) {
  const auto start = std::chrono::steady_clock::now();
  const auto candidate = train_copy(deployed, set, train);
  const auto end = std::chrono::steady_clock::now();
  *trained = candidate.weights();
  return std::chrono::duration<double>(end - start).count();
}

double max_difference(const ModelWeights& a, const ModelWeights& b) {
  double worst = 0;
  for (size_t t = 0; t < a.size(); ++t)
    for (size_t i = 0; i < a[t].values.size(); ++i)
      worst = std::max(worst, std::abs(static_cast<double>(a[t].values[i]) - b[t].values[i]));
  return worst;
}

double samples_per_second(const TrainingFigures& f, double seconds) {
  return seconds > 0 ? static_cast<double>(f.samples * f.train.epochs) / seconds : 0;
}

}  // namespace

void TrainingBenchmarkOptions::validate() const {
  if (rounds < 1 || rounds > 1000)
    throw UserError("--rounds", fmt::format("{}: expected 1 to 1000", rounds));
  if (samples < 0 || samples > 10000000)
    throw UserError("--samples", fmt::format("{}: expected 1 to 10000000 (0: the buffer's "
                                             "capacity)",
                                             samples));
  if (!std::filesystem::is_regular_file(scenario))
    throw UserError(scenario, "scenario file not found (pass --scenario)");
}

double TrainingFigures::pipeline_samples_per_second() const {
  return samples_per_second(*this, median(pipeline_seconds));
}

double TrainingFigures::bare_samples_per_second() const {
  return samples_per_second(*this, median(bare_seconds));
}

double TrainingFigures::overhead() const {
  std::vector<double> ratios;
  for (size_t r = 0; r < pipeline_seconds.size() && r < bare_seconds.size(); ++r)
    ratios.push_back(pipeline_seconds[r] / bare_seconds[r]);
  return median(ratios) - 1;
}

double TrainingFigures::overhead_of_medians() const {
  return median(pipeline_seconds) / median(bare_seconds) - 1;
}

double load_average() {
  double load[1] = {0};
  return getloadavg(load, 1) == 1 ? load[0] : -1;
}

TrainingFigures run_training_benchmark(const TrainingBenchmarkOptions& options) {
  options.validate();
  const Scenario s = load_scenario(options.scenario, options.overrides, cli::builtin_plugins());
  if (s.model.kind == ModelKind::torchscript)
    throw UserError(options.scenario + ": model.kind",
                    "bench training compares mlp and cnn targets, not torchscript");
  spdlog::info("bench training: loading the data of {}", options.scenario);
  const RunData data = load_run_data(s);
  TrainingFigures f;
  f.scenario = options.scenario;
  f.model = s.model.describe();
  f.samples = options.samples > 0 ? options.samples : s.retrain.buffer_capacity;
  f.train = s.retrain.train;
  // The bare loop is plain SGD, so both sides run the retrain's SGD steps without its
  // learning-rate schedule and iterate averaging (a few vector operations per step).
  f.train.schedule = LrSchedule::constant;
  f.train.warmup = 0;
  f.train.average_last_epoch = false;
  f.train.seed = derive_seed(s.seed, "retrain/0");
  f.threads = s.train_threads;
  const Dataset set = retraining_set(data.stream_pool, f.samples);
  f.data = s.data.path.empty() ? to_string(s.data.kind) : s.data.path;
  // Weights as the deployed model would have them; training speed does not depend on their values.
  const auto deployed = TargetModel::create(s.model, derive_seed(s.seed, "model/init"));
  const ModelWeights initial = deployed.weights();
  set_torch_threads(static_cast<int>(s.train_threads));
  f.blas = describe_blas();

  ModelWeights from_pipeline;
  ModelWeights from_bare;
  spdlog::info("bench training: warm-up (not counted)");
  pipeline_round(deployed, set, f.train, &from_pipeline);
  bare_train(s.model, initial, set, f.train);
  f.load_before = load_average();
  for (int round = 0; round < options.rounds; ++round) {
    // Alternate which side goes first, so neither always follows the other.
    for (int turn = 0; turn < 2; ++turn) {
      if ((round + turn) % 2 == 0) {
        f.pipeline_seconds.push_back(pipeline_round(deployed, set, f.train, &from_pipeline));
      } else {
        auto bare = bare_train(s.model, initial, set, f.train);
        f.bare_seconds.push_back(bare.seconds);
        from_bare = std::move(bare.weights);
      }
    }
    f.max_weight_difference =
        std::max(f.max_weight_difference, max_difference(from_pipeline, from_bare));
    spdlog::info("bench training: round {}/{}: pipeline {:.3f} s, bare {:.3f} s", round + 1,
                 options.rounds, f.pipeline_seconds.back(), f.bare_seconds.back());
  }
  f.load_after = load_average();
  return f;
}

std::string format_training_table(const TrainingFigures& f) {
  std::string out = fmt::format(
      "retraining {} on {} samples of {} ({} epoch{}, batch {}, lr {}, momentum {}, weight decay "
      "{}), {} LibTorch thread{}; median of {} alternating rounds\n{}\n\n",
      f.model, f.samples, f.data, f.train.epochs, f.train.epochs == 1 ? "" : "s",
      f.train.batch_size, f.train.learning_rate, f.train.momentum, f.train.weight_decay, f.threads,
      f.threads == 1 ? "" : "s", f.pipeline_seconds.size(), f.blas);
  out += fmt::format("{:<44} {:>10} {:>12}  {}\n", "side", "median s", "samples/s",
                     "seconds per round");
  auto row = [&](const char* name, const std::vector<double>& seconds, double rate) {
    std::string rounds;
    for (const double s : seconds) rounds += fmt::format("{:.3f} ", s);
    out += fmt::format("{:<44} {:>10.3f} {:>12.0f}  {}\n", name, median(seconds), rate, rounds);
  };
  row("pipeline (train_copy, as a retrain tick)", f.pipeline_seconds,
      f.pipeline_samples_per_second());
  row("bare LibTorch loop (nn::Sequential + SGD)", f.bare_seconds, f.bare_samples_per_second());
  out += fmt::format(
      "overhead of the pipeline over the bare loop: {:+.1f}% (median of per-round ratios; "
      "ratio of the medians {:+.1f}%); target < 10%\n",
      100 * f.overhead(), 100 * f.overhead_of_medians());
  out += fmt::format("largest weight difference between the sides after training: {:.3g}\n",
                     f.max_weight_difference);
  out += fmt::format("machine: {}; load average {:.2f} before, {:.2f} after\n",
                     cpu_info().describe(), f.load_before, f.load_after);
  return out;
}

nlohmann::ordered_json training_json(const TrainingFigures& f) {
  return {{"benchmark", "training"},
          {"scenario", f.scenario},
          {"model", f.model},
          {"data", f.data},
          {"samples", f.samples},
          {"epochs", f.train.epochs},
          {"batch_size", f.train.batch_size},
          {"learning_rate", f.train.learning_rate},
          {"momentum", f.train.momentum},
          {"weight_decay", f.train.weight_decay},
          {"threads", f.threads},
          {"blas", f.blas},
          {"cpu", cpu_info().model},
          {"rounds", f.pipeline_seconds.size()},
          {"unit", "seconds of one retraining; samples/s = samples x epochs / median seconds"},
          {"pipeline",
           {{"samples_per_second", f.pipeline_samples_per_second()},
            {"median_seconds", median(f.pipeline_seconds)},
            {"seconds", f.pipeline_seconds}}},
          {"bare",
           {{"samples_per_second", f.bare_samples_per_second()},
            {"median_seconds", median(f.bare_seconds)},
            {"seconds", f.bare_seconds}}},
          {"overhead", f.overhead()},
          {"overhead_of_medians", f.overhead_of_medians()},
          {"max_weight_difference", f.max_weight_difference},
          {"load_average", {{"before", f.load_before}, {"after", f.load_after}}}};
}

}  // namespace poisonsim::bench
