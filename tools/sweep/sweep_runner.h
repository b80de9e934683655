#pragma once
// Runs a sweep plan: every run as a child `poisonsim run` writing its own trace into
// <output>.parts/ (tools/sweep/sweep_parts.h), several at a time, then one sweep file
// (pipeline/trace/sweep_file.h) with the summary table and each run's trace under runs/<id>.
// The parts stay until the sweep file is complete, and a rerun of the same sweep reuses every
// finished run whose scenario is unchanged, so an interrupted sweep loses at most the runs in
// progress. A shard runs only its share of the runs and writes no sweep file (`poisonsim merge`
// does); MPI ranks (tools/sweep/mpi_sweep.h) use the same pieces.
#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include "tools/sweep/child_processes.h"
#include "tools/sweep/sweep_assembly.h"
#include "tools/sweep/sweep_parts.h"
#include "tools/sweep/sweep_plan.h"

namespace poisonsim {

struct SweepRunnerOptions {
  std::string output;
  std::string executable;  // the poisonsim binary to run each run with
  int jobs = 0;            // runs at once; 0: cores / compute.train_threads (at least 1)
  int threads = 0;         // scoring threads per run; 0: cores / jobs (at least 1)
  int cores = 0;           // cores this process may use; 0: its CPU affinity
  std::string log_level = "warn";
  bool show_progress = true;
  bool keep_parts = false;  // keep <output>.parts/ after a complete sweep
  SweepShard shard;         // active: run only this shard's runs, write no sweep file
  SweepManifest manifest;   // what defines the grid, written into the parts directory
};

struct SweepOutcome {
  size_t runs = 0;    // runs of the sweep (of the shard, for a shard)
  size_t reused = 0;  // finished runs found in <output>.parts/ from an earlier attempt
  int jobs = 0;       // runs at once per process
  int processes = 1;  // MPI ranks
  double wall_seconds = 0;
  std::vector<SweepFailure> failures;
  bool wrote_sweep_file = false;  // false for a shard and for MPI ranks other than 0
  int stopped_by = 0;             // the stop signal that ended the sweep early, or 0
  size_t finished = 0;            // with stopped_by: runs (reused included) that finished
};

std::string sweep_parts_dir(const std::string& output);

// Starts runs and records who ran them; one per process that runs runs.
class SweepRunLauncher {
 public:
  SweepRunLauncher(const SweepPlan& plan, const SweepRunnerOptions& options, std::string worker);
  int jobs() const { return jobs_; }
  int threads() const { return threads_; }
  const std::string& parts() const { return parts_; }
  ChildCommand command(int64_t run) const;
  // Writes run-<id>.json before the run starts (ended: false): an MPI rank killed before it
  // records the run's end (the run may even have finished) still says who ran it.
  void started(int64_t run) const;
  // Writes run-<id>.json; returns the failure when the run failed.
  std::optional<SweepFailure> finished(int64_t run, const FinishedChild& child) const;

 private:
  const SweepPlan& plan_;
  const SweepRunnerOptions& options_;
  std::string worker_, host_, parts_;
  int jobs_ = 1, threads_ = 1;
};

// Creates the parts directory and its manifest (a shard refuses one of another sweep) and
// returns the runs still to do: this shard's runs without a finished trace, in id order.
std::vector<int64_t> prepare_sweep_parts(const SweepPlan& plan, const SweepRunnerOptions& options,
                                         size_t& reused);

// Collects every run from the parts directory, writes the sweep file and, when no run failed
// (and not --keep-parts), removes the parts.
void finish_sweep(const SweepPlan& plan, const SweepRunnerOptions& options, SweepOutcome& outcome);

SweepOutcome run_sweep(const SweepPlan& plan, const SweepRunnerOptions& options);

}  // namespace poisonsim
