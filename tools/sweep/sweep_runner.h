#pragma once
// Runs a sweep plan: every run as a child `poisonsim run` writing its own trace into
// <output>.parts/, several at a time, then one sweep file (pipeline/trace/sweep_file.h) with the
// summary table and each run's trace under runs/<id>. The parts stay until the sweep file is
// complete, and a rerun of the same sweep reuses every finished run whose scenario is unchanged,
// so an interrupted sweep loses at most the runs in progress.
#include <cstddef>
#include <string>
#include <vector>

#include "tools/sweep/sweep_plan.h"

namespace poisonsim {

struct SweepRunnerOptions {
  std::string output;
  std::string executable;  // the poisonsim binary to run each run with
  int jobs = 0;            // runs at once; 0: cores / compute.train_threads (at least 1)
  int threads = 0;         // scoring threads per run; 0: cores / jobs (at least 1)
  std::string log_level = "warn";
  bool show_progress = true;
  bool keep_parts = false;  // keep <output>.parts/ after a complete sweep
};

struct SweepFailure {
  int64_t run = 0;
  int exit_code = 0;
  std::string log_path;
  std::string last_line;  // the last line the run printed (its error, usually)
};

struct SweepOutcome {
  size_t runs = 0;
  size_t reused = 0;  // finished runs found in <output>.parts/ from an earlier attempt
  int jobs = 0;
  double wall_seconds = 0;
  std::vector<SweepFailure> failures;
};

SweepOutcome run_sweep(const SweepPlan& plan, const SweepRunnerOptions& options);

}  // namespace poisonsim
