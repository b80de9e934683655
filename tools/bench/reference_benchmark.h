#pragma once
// `poisonsim bench attacks --reference`: poisonsim's direct method (each engine, each group size),
// its generative training (each rule) and generation, against a PyTorch reference of the same
// algorithms (python/reference/reference_attacks.py, Debian's python3-torch) on the same data, the
// same settings and the same threads, the two sides taking turns in one run. Before the timing,
// both sides solve a few small problems from the same start and their answers are compared
// (the agreement checks), so the ratio is one of two implementations of one algorithm.
#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace poisonsim::bench {

struct ReferenceBenchmarkOptions {
  int64_t n = 1000;  // generation: samples per measurement
  std::vector<int64_t> group_sizes{1, 10, 100};
  std::vector<std::string> engines{"factored", "autograd"};
  std::vector<std::string> rules{"first-order", "unrolled"};
  int64_t groups = 1;                  // direct: groups per measurement (n = groups x group size)
  int64_t rounds = 3;                  // turns each side takes; figures are medians over them
  bool checks = true;                  // the agreement checks before the timing
  std::string scenario;                // empty: the quickstart's data and target
  std::vector<std::string> overrides;  // key.path=value on the scenario
  std::vector<std::string> direct_params;      // key=value of the direct attacker block
  std::vector<std::string> generative_params;  // key=value of the generative attacker block
  std::string work_dir;  // the data file for the reference; empty: a temporary directory

  void validate() const;  // UserError naming the option
};

// One figure measured on both sides, per round.
struct ReferenceCell {
  std::string name;       // "direct g=10 autograd", "generative first-order training", ...
  std::string reference;  // what the reference ran: "direct g=10 autograd", ...
  std::string unit;       // "samples/s" or "s"
  int64_t n = 0;          // samples per measurement (training: steps)
  std::vector<double> poisonsim;
  std::vector<double> python;
  // poisonsim's speed over the reference's: rate / rate, or the reference's seconds over
  // poisonsim's; > 1 means poisonsim is faster. Of the medians, and per round.
  double ratio = 0;
  std::vector<double> ratio_by_round;
};

// Both sides' answer to one small problem from the same start.
struct ReferenceCheck {
  std::string what;
  double max_abs_diff = 0;    // largest pixel difference between the two answers
  double max_value_diff = 0;  // objective (direct) or reward (generative) per step
  double max_abs_change =
      0;  // how far the answer moved from its start (the diff is small next to it)
  double tolerance = 0;
  bool agree = false;
};

struct ReferenceResult {
  std::vector<ReferenceCheck> checks;
  std::vector<ReferenceCell> cells;
  nlohmann::json environment;  // machine, BLAS, threads, torch versions, load averages
  nlohmann::json settings;     // both attackers' settings as both sides ran them
};

ReferenceResult run_reference_benchmark(const ReferenceBenchmarkOptions& options);
std::string format_reference_table(const ReferenceResult& result,
                                   const ReferenceBenchmarkOptions& options);
nlohmann::json reference_json(const ReferenceResult& result,
                              const ReferenceBenchmarkOptions& options);

}  // namespace poisonsim::bench
