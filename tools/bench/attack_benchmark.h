#pragma once
// The paper's comparison, measured in one run (`poisonsim bench attacks`): generation rate and
// potency of the direct gradient method (group sizes 1, 10, 100, each with its factored and
// autograd engine), the generative method (both
// update rules), random noise at the direct method's perturbation size, and label flipping, all
// from the same clean seeds against the same pretrained target.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "tools/attack/attack_session.h"

namespace poisonsim::bench {

struct AttackBenchmarkOptions {
  int64_t n = 1000;
  int64_t retrain_seeds = 3;
  int64_t mixed_ratio = 5;
  std::vector<int64_t> group_sizes{100, 10, 1};
  // Direct-method engines, each run at every group size (factored: MLP targets only; on others
  // its rows are left out with a note).
  std::vector<std::string> engines{"factored", "autograd"};
  std::string scenario;                        // empty: the quickstart's data and target
  std::vector<std::string> overrides;          // key.path=value on the scenario
  std::vector<std::string> direct_params;      // key=value of every direct run's attacker block
  std::vector<std::string> generative_params;  // key=value of every generative run's
  std::string poison_dir;  // when set: every method's poison set, <dir>/<file_stem(label)>.h5
};

// "direct g=10 factored" -> "direct-g-10-factored", "noise l2=3.07" -> "noise-l2-3.07": the poison
// set's file name.
std::string file_stem(const std::string& label);

struct AttackBenchmarkRow {
  std::string label;       // e.g. "direct g=10 factored"
  std::string method;      // attacker type
  std::string engine;      // direct: the engine that ran; empty for other methods
  int64_t group_size = 0;  // direct only
  int64_t n = 0;
  double seconds = 0;
  double samples_per_second = 0;
  PoisonEffect effect;
  // attack_figures() plus its label and, when written, poison_file: the method's JSON entry.
  nlohmann::json figures;
};

std::vector<AttackBenchmarkRow> run_attack_benchmark(const AttackBenchmarkOptions& options);
std::string format_attack_table(const std::vector<AttackBenchmarkRow>& rows,
                                const AttackBenchmarkOptions& options);
nlohmann::json attack_benchmark_json(const std::vector<AttackBenchmarkRow>& rows,
                                     const AttackBenchmarkOptions& options);

}  // namespace poisonsim::bench
