#pragma once
// G's training against the machine's roof (`poisonsim bench generator`): for each update rule
// and target kind, the generative attack's time (G's training included), the floating-point
// operations it does (counted by LibTorch's profiler), the GFLOP/s that makes, and where the time
// goes operator by operator; against two roofs measured in the same run: the peak of a large
// oneDNN matmul, and LibTorch's own matrix product at the shapes G's training multiplies.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "tools/bench/op_profile.h"

namespace poisonsim::bench {

struct GeneratorRooflineOptions {
  std::string scenario;                // empty: the quickstart's data and target
  std::vector<std::string> overrides;  // key.path=value on the scenario
  std::vector<std::string> rules{"first-order", "unrolled"};
  // mlp: the scenario's model; cnn: the same data with `model.kind=cnn` (pretrained and cached
  // on first use).
  std::vector<std::string> targets{"mlp", "cnn"};
  std::vector<std::string> generative_params;  // key=value of every run's attacker block
  int64_t n = 1000;
  int rounds = 3;            // timed generations per row, taking turns with the other rows
  int64_t peak_size = 1024;  // the large matmul's side
  void validate() const;     // UserError naming the option
};

// A matrix product at one of G's shapes, timed through LibTorch (OpenBLAS), as training runs it.
struct ShapeRoof {
  std::string what;  // e.g. "G's first layer, batch 128"
  int64_t m = 0, k = 0, n = 0;
  bool bf16 = false;  // bf16 inputs: what reduced precision would get through LibTorch
  double gflops = 0;  // median over rounds
};

struct GeneratorRooflineRow {
  std::string rule, target;
  int64_t n = 0, steps = 0, batch_size = 0;
  std::vector<double> seconds;  // one timed generation per round, G's training included
  double median_seconds = 0;
  double samples_per_second = 0;
  OpProfile profile;  // one more generation, under the profiler
  double gflop() const { return profile.counted_flops / 1e9; }
  double gflops() const { return median_seconds > 0 ? gflop() / median_seconds : 0; }
};

struct GeneratorRooflineResults {
  double peak_f32_gflops = 0;
  std::optional<double> peak_bf16_gflops;  // where the CPU has bf16 matmul
  std::vector<ShapeRoof> shape_roofs;
  std::vector<GeneratorRooflineRow> rows;
};

GeneratorRooflineResults run_generator_roofline(const GeneratorRooflineOptions& options);
std::string format_generator_roofline(const GeneratorRooflineResults& results,
                                      const GeneratorRooflineOptions& options);
nlohmann::json generator_roofline_json(const GeneratorRooflineResults& results,
                                       const GeneratorRooflineOptions& options);

}  // namespace poisonsim::bench
