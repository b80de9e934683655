#pragma once
// Throughput of the two ways the simulator scores samples: LibTorch (the training side's
// score_samples) and the oneDNN ServingEngine, in f32 and, where the CPU has it, bf16.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "pipeline/model/model_spec.h"

namespace poisonsim::bench {

struct ServingBenchmarkOptions {
  int64_t batch = 256;
  double seconds = 1.0;  // measuring time of each figure, split over the rounds
  int rounds = 5;        // the backends take turns; each figure is the median over rounds
  uint64_t seed = 1;

  // Throws UserError naming the option when a value is out of range.
  void validate() const;
};

// One model's figures, in samples per second.
struct ServingFigures {
  std::string model;  // ModelSpec::describe()
  double libtorch = 0;
  double onednn_f32 = 0;
  std::optional<double> onednn_bf16;  // absent when the CPU has no bf16

  double f32_ratio() const { return onednn_f32 / libtorch; }
  std::optional<double> bf16_ratio() const;
};

// The specs measured: the default MLP (784-256-10) and the CIFAR-size CNN (3x32x32, conv
// [32,64], hidden [256]).
std::vector<ModelSpec> serving_benchmark_models();

// Measures every model of serving_benchmark_models(), logging progress with spdlog.
std::vector<ServingFigures> run_serving_benchmark(const ServingBenchmarkOptions& options);

std::string format_serving_table(const std::vector<ServingFigures>& figures,
                                 const ServingBenchmarkOptions& options);
std::string serving_json(const std::vector<ServingFigures>& figures,
                         const ServingBenchmarkOptions& options);

}  // namespace poisonsim::bench
