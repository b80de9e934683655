#pragma once
// Builds a sweep file from its runs' parts, whatever ran them: one process, MPI ranks or
// shards (`poisonsim merge`). The summary depends only on the plan and the traces, so every way
// of running a sweep gives the same table; the provenance table says who ran what.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "tools/sweep/sweep_parts.h"
#include "tools/sweep/sweep_plan.h"

namespace poisonsim {

struct SweepFailure {
  int64_t run = 0;
  int exit_code = 0;
  std::string log_path;
  std::string last_line;  // the last line the run printed (its error, usually)
};

// Where each run of a plan ended up, found in one or more parts directories.
struct CollectedRuns {
  std::vector<std::string> traces;                       // per run id: its finished trace, or empty
  // Per run id, its row of the provenance table, which agrees with its summary row: a finished
  // run's exit code is 0 (worker and host empty when no record of its attempt is left), a
  // failed or missing run's is its failure's (at least 1).
  std::vector<std::optional<RunProvenance>> provenance;
  std::vector<SweepFailure> failures;                    // runs that ran and failed
  std::vector<int64_t> missing;  // runs with neither a finished trace nor a record of an end
};

// For each run, the first directory holding its finished trace; failing that, a record that it
// failed (with its log).
CollectedRuns collect_runs(const SweepPlan& plan, const std::vector<std::string>& parts_dirs);

// Writes `output` (through <output>.partial, then renamed) from the collected runs; missing runs
// are written as failed rows.
void write_sweep_file(const SweepPlan& plan, const CollectedRuns& runs, const std::string& output);

}  // namespace poisonsim
