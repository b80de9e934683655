#pragma once
// `poisonsim bench startup`: what a command costs before it does anything. Each case is a child
// process started from a fresh environment (cleared_environment(), as a user's shell starts it),
// measured in rounds in rotating order after an uncounted warm-up:
// - through `poisonsim`, the light front: `--help` and `inspect TRACE` run there without loading
//   the numeric libraries; `validate SCENARIO` is handed to the engine, which loads them once;
// - the same commands through poisonsim-engine alone, as every command ran before the front:
//   LibTorch loaded, then loaded again after the re-exec that sets the BLAS kernel.
// A sweep's runs are started as the engine with the environment already set, so they pay one
// load: the `validate` case through the front is that fixed cost, plus reading the scenario.
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace poisonsim::bench {

struct StartupBenchmarkOptions {
  std::string scenario;  // for `validate`; default: the quickstart
  std::string trace;     // for `inspect`; empty: that case is left out
  int rounds = 5;

  void validate() const;  // UserError naming the option
};

struct StartupCase {
  std::string command;                 // "--help", "inspect", "validate"
  std::vector<double> front_seconds;   // through `poisonsim`, one per round
  std::vector<double> engine_seconds;  // through poisonsim-engine alone
  double front_median() const;
  double engine_median() const;
};

std::vector<StartupCase> run_startup_benchmark(const StartupBenchmarkOptions& options);
std::string format_startup_table(const std::vector<StartupCase>& cases);
nlohmann::ordered_json startup_json(const std::vector<StartupCase>& cases,
                                    const StartupBenchmarkOptions& options);

}  // namespace poisonsim::bench
