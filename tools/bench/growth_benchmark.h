#pragma once
// `poisonsim bench growth`: how a run's wall time, memory and trace grow with the volume of data
// it handles. Each scale k runs the scenario with every stream's and attacker's arrival rate
// (and an attacker's budget) times k and the retraining buffer (capacity, and min_samples of a
// buffer trigger) times k, as a separate `poisonsim run` (environment_benchmark's machinery:
// an uncounted warm-up, then rounds in rotating order). The exponent of wall time against the
// samples the guard judged is fitted by least squares on log-log, end to end and without the
// run's fixed cost (process start, data loading, pretraining or its cache, which the trace's
// stage times separate from the simulation itself).
#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "pipeline/scenario/scenario.h"
#include "tools/bench/environment_benchmark.h"
#include "tools/bench/power_law.h"

namespace poisonsim::bench {

struct GrowthBenchmarkOptions {
  EnvironmentBenchmarkOptions runs;  // scenario, --set, rounds, work directory (loads unused)
  std::vector<int64_t> scales = {1, 4, 16};

  void validate() const;  // UserError naming the option
};

// What one run did, from its child process and its trace.
struct GrowthRun {
  double wall_seconds = 0;      // the child process, start to exit
  double fixed_seconds = 0;     // wall minus the simulation's own stages (see above)
  int64_t max_rss_kib = 0;      // peak resident memory
  int64_t samples = 0;          // samples the guard judged (streams and attackers)
  int64_t poison_samples = 0;   // of them, from attackers
  int64_t rejected = 0;         // of them, rejected by the guard
  int64_t largest_retrain = 0;  // largest retraining set (the buffer at a retrain, with replay)
  int64_t trace_bytes = 0;      // size of the trace file
  int64_t trace_sample_rows = 0;
  double simulation_seconds() const { return wall_seconds - fixed_seconds; }
};

struct GrowthScale {
  int64_t scale = 1;
  std::vector<std::string> overrides;  // the --set values that make this scale
  std::vector<GrowthRun> rounds;
  // Medians over the rounds (samples, retraining sets and trace rows are the same every round:
  // a run is a pure function of scenario and seed).
  double wall_seconds() const;
  double simulation_seconds() const;
  double fixed_seconds() const;
  int64_t max_rss_kib() const;  // the largest over the rounds
  const GrowthRun& first() const { return rounds.front(); }
};

struct GrowthFigures {
  std::string scenario;
  std::vector<std::string> overrides;
  std::string guard;                    // the scenario's guard type ("none" when off)
  std::string blas;                     // as the runs' traces recorded it
  int64_t buffer_bytes_per_sample = 0;  // how RetrainBuffer stores one sample
  std::vector<GrowthScale> scales;
  double load_before = 0;
  double load_after = 0;

  PowerLawFit wall_fit() const;        // wall seconds against samples judged
  PowerLawFit simulation_fit() const;  // the same without the fixed cost
  // Least-squares slope of peak memory against the largest retraining set: what one more
  // retained sample costs the process.
  double rss_bytes_per_retained_sample() const;
};

// The --set values that make scale k of `scenario`.
std::vector<std::string> growth_overrides(const Scenario& scenario, int64_t k);

GrowthFigures run_growth_benchmark(const GrowthBenchmarkOptions& options);
std::string format_growth_table(const GrowthFigures& figures);
nlohmann::ordered_json growth_json(const GrowthFigures& figures);

}  // namespace poisonsim::bench
