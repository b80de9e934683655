#pragma once
// Throughput of the two ways the simulator scores samples: LibTorch (the training side's
// score_samples) and the oneDNN ServingEngine, in f32 and, where the CPU has it, bf16, at
// several batch sizes, each also as a fraction of the machine's matmul peak measured in the
// same run (peak_gemm.h).
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "pipeline/model/model_spec.h"

namespace poisonsim::bench {

struct ServingBenchmarkOptions {
  std::vector<int64_t> batches{64, 256, 1024};
  double seconds = 1.0;      // measuring time of each figure, split over the rounds
  int rounds = 5;            // every figure takes turns; each is the median over rounds
  int64_t peak_size = 2048;  // the peak's square matmul is peak_size^3
  uint64_t seed = 1;

  // Throws UserError naming the option when a value is out of range.
  void validate() const;
};

// The measured peak, in floating-point operations per second.
struct PeakFigures {
  int64_t size = 0;
  double f32 = 0;
  std::optional<double> bf16;  // absent when the CPU has no bf16
};

// One model at one batch size, in samples per second.
struct ServingFigures {
  std::string model;  // ModelSpec::describe()
  int64_t batch = 0;
  double flops_per_sample = 0;  // forward_flops_per_sample()
  double libtorch = 0;
  double onednn_f32 = 0;
  std::optional<double> onednn_bf16;

  double f32_ratio() const { return onednn_f32 / libtorch; }
  std::optional<double> bf16_ratio() const;
  // Achieved floating-point rate over the peak of the same precision.
  double f32_fraction_of_peak(const PeakFigures& peak) const;
  std::optional<double> bf16_fraction_of_peak(const PeakFigures& peak) const;
};

struct ServingResults {
  PeakFigures peak;
  std::vector<ServingFigures> figures;  // model-major, then batch
};

// The specs measured: the default MLP (784-256-10) and the CIFAR-size CNN (3x32x32, conv
// [32,64], hidden [256]).
std::vector<ModelSpec> serving_benchmark_models();

// Measures the peak and every model of serving_benchmark_models() at every batch size, all
// taking turns round after round; logs progress with spdlog.
ServingResults run_serving_benchmark(const ServingBenchmarkOptions& options);

std::string format_serving_table(const ServingResults& results,
                                 const ServingBenchmarkOptions& options);
std::string serving_json(const ServingResults& results, const ServingBenchmarkOptions& options);

}  // namespace poisonsim::bench
