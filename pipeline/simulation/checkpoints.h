#pragma once
// Writing a checkpoint from a running simulation and starting a resumed one's trace from it
// (pipeline/trace/checkpoint_file.h holds the format).
#include <string>

#include "pipeline/trace/checkpoint_file.h"

namespace poisonsim {

class RowSink;

// Where and what a run checkpoints.
struct CheckpointPlan {
  std::string path;           // empty: no checkpoints
  double every = 0;           // simulated seconds between checkpoints; 0: only when stopped
  std::string scenario_path;  // recorded, for relative paths in the scenario
  std::string trace_output;   // the trace's final path, recorded as resume's default output
  std::string data_files;     // the data's fingerprint (pipeline/data/data_fingerprint.h)
};

// At most this many checkpoints in a run: each writes the whole state, and an interval below
// duration / kMaxCheckpoints is no resume point worth its cost (and, tiny enough, one that
// does not move the clock: the run would checkpoint forever).
constexpr double kMaxCheckpoints = 10000;

// The first checkpoint time after `now` on the grid every, 2 every, 3 every, ...: a resumed run
// (whose clock starts where a stop may have left it, off the grid) keeps an uninterrupted run's
// schedule. Multiples, not sums, so no rounding error accumulates over thousands of them.
double next_checkpoint_time(double now, double every);

// Throws UserError(where, ...) unless `every` is a number of simulated seconds from
// duration / kMaxCheckpoints to less than `duration` (NaN and infinities included).
void check_checkpoint_interval(double every, double duration, const std::string& where);

// What of this machine decides the numbers, as a checkpoint records it: resume compares the two.
// The kernel levels alone in portable numerics; the CPU model, BLAS and levels in native.
std::string checkpoint_machine();

// Writes `state` and the flushed trace at `trace_file` to plan.path, atomically (sim/
// atomic_output.h), replacing the previous checkpoint. UserError naming the file on failure.
void write_checkpoint(const CheckpointPlan& plan, const std::string& scenario_yaml, double time,
                      const std::string& state, const std::string& trace_file);

// Once the run's trace is final: replaces the checkpoint at plan.path, if there is one, with the
// record that the run finished at `duration` (CheckpointFile::finished()), atomically, so
// `resume` says so instead of restoring a state the finished trace has gone past.
void record_finished_run(const CheckpointPlan& plan, const std::string& scenario_yaml,
                         double duration);

// Appends the rows the checkpointed run had written to `writer`, through a scratch copy of
// the saved trace beside `scratch_path` (a new temporary, removed afterwards).
void restore_trace_rows(const CheckpointFile& checkpoint, const std::string& where,
                        const std::string& scratch_path, RowSink& recorder);

}  // namespace poisonsim
