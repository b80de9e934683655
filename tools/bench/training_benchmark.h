#pragma once
// `poisonsim bench training`: the simulation's retraining (train_copy of the deployed model,
// the call Simulation's retrain tick makes) against a minimal hand-written LibTorch loop
// (bare_training_loop.h) on the same data, initial weights, batch size, learning rate,
// momentum, epochs and thread count. The two sides take turns round after round; the overhead
// is the median over rounds of (pipeline seconds / bare seconds) - 1.
#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "pipeline/model/training.h"

namespace poisonsim::bench {

struct TrainingBenchmarkOptions {
  std::string scenario;                // data, target and retraining options
  std::vector<std::string> overrides;  // --set key.path=value
  int64_t samples = 0;                 // retraining set size; 0: retrain.buffer.capacity
  int rounds = 10;

  void validate() const;  // UserError naming the option
};

struct TrainingFigures {
  std::string scenario;
  std::string model;  // ModelSpec::describe()
  std::string data;   // the data set the samples came from
  int64_t samples = 0;
  TrainOptions train;
  int64_t threads = 0;                   // LibTorch threads (the scenario's compute.train_threads)
  std::string blas;                      // describe_blas() while measuring
  std::vector<double> pipeline_seconds;  // one per round
  std::vector<double> bare_seconds;
  double max_weight_difference = 0;  // largest |pipeline - bare| over every trained weight
  double load_before = 0;            // 1-minute load average before and after measuring
  double load_after = 0;

  double pipeline_samples_per_second() const;  // from the median round
  double bare_samples_per_second() const;
  // Median over rounds of pipeline / bare seconds, minus one (0.05: 5% slower than bare): each
  // round's two sides ran back to back, so the pairing cancels slow drifts of the machine.
  double overhead() const;
  // Median pipeline seconds / median bare seconds, minus one (shown beside it).
  double overhead_of_medians() const;
};

// Loads the scenario and its data, then measures: one uncounted warm-up per side, then `rounds`
// rounds in which the sides alternate which goes first.
TrainingFigures run_training_benchmark(const TrainingBenchmarkOptions& options);

std::string format_training_table(const TrainingFigures& figures);
nlohmann::ordered_json training_json(const TrainingFigures& figures);

// The 1-minute load average (getloadavg), or -1 when it cannot be read.
double load_average();

}  // namespace poisonsim::bench
