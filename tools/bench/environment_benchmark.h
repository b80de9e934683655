#pragma once
// Wall time of a whole scenario run under different process environments: the OpenBLAS kernel
// (`bench kernels`), the numerics mode (`bench numerics`) and the training threads with OpenMP's
// wait policy (`bench threads`), on a quiet machine and beside competing busy processes. These
// settings are read by the libraries when a process starts, so every measurement is a separate
// `poisonsim run`; the variants take turns round after round, so a machine that gets busier or
// quieter affects them alike.
#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "tools/sweep/child_processes.h"

namespace poisonsim::bench {

// Runs `argv` as a child process from a fresh environment, as a user's shell starts it: none of
// the variables poisonsim sets for itself, then `environment` (arguments of env(1): "-u NAME",
// "NAME=value"); its stdout and stderr go to `log`. Returns how it ended.
FinishedChild run_from_fresh_environment(const std::vector<std::string>& argv,
                                         const std::vector<std::string>& environment,
                                         const std::string& log);

struct EnvironmentVariant {
  std::string name;
  std::vector<std::string> environment;  // arguments of env(1): "-u NAME" pairs, "NAME=value"
  std::vector<std::string> overrides;    // extra --set key=value for the run
};

struct EnvironmentBenchmarkOptions {
  std::string scenario;                // default: the quickstart
  std::vector<std::string> overrides;  // --set for every run
  int rounds = 3;
  std::vector<int> loads = {0};  // busy processes beside the run, one measurement set each
  std::string work_dir;          // traces and logs of the runs; default: a temporary directory

  void validate() const;  // UserError naming the option
};

struct VariantFigures {
  std::string name;
  int load = 0;
  std::vector<double> seconds;       // one per round
  std::vector<int64_t> max_rss_kib;  // peak resident memory of each round's run, KiB
  std::string blas;                  // what the run's trace recorded (kernel, who chose it)
  double median() const;
};

// The variants of `bench kernels`, in native numerics: poisonsim's own choice ("auto") and each
// OpenBLAS kernel in `kernels`, set with OPENBLAS_CORETYPE.
std::vector<EnvironmentVariant> kernel_variants(const std::vector<std::string>& kernels);
// The variants of `bench numerics`: portable and native numerics (POISONSIM_NUMERICS).
std::vector<EnvironmentVariant> numerics_variants();
// The variants of `bench numerics`: portable and native numerics (POISONSIM_NUMERICS).
std::vector<EnvironmentVariant> numerics_variants();
// The variants of `bench threads`: each training thread count with each OpenMP wait policy.
std::vector<EnvironmentVariant> thread_variants(const std::vector<int>& threads,
                                                const std::vector<std::string>& wait_policies);

// The name of one measured run's trace and log in the work directory (`variant`: its index in
// the list given to run_environment_benchmark).
std::string run_label(int load, int round, size_t variant);

// Runs the scenario once to fill the pretraining cache, then rounds x loads x variants times.
// Each run writes <work_dir>/<run_label(...)>.h5 (kept when options.work_dir was given).
// Throws UserError when a run fails (naming its log).
std::vector<VariantFigures> run_environment_benchmark(
    const std::vector<EnvironmentVariant>& variants, const EnvironmentBenchmarkOptions& options);

// The table: median wall time per variant and load, each as a ratio to the fastest variant at
// the same load; the first variant is the one the ratios are stated for.
std::string format_environment_table(const std::vector<VariantFigures>& figures);
nlohmann::ordered_json environment_json(const std::vector<VariantFigures>& figures,
                                        const EnvironmentBenchmarkOptions& options);

}  // namespace poisonsim::bench
