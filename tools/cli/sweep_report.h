#pragma once
// What `poisonsim sweep` and `poisonsim merge` print at the end: the summary table of the sweep
// file, and the runs that failed.
#include <cstddef>
#include <string>
#include <vector>

#include "tools/sweep/sweep_assembly.h"

namespace poisonsim::cli {

// Prints the summary table of `output` and how to look at one run.
void print_sweep_file(const std::string& output);

// Prints each failure and throws: UserError (exit code 2) when every failure was a user error,
// else CommandFailed (exit code 1). Returns when there is none. `rerun` says how to redo the
// failed runs; it must work as printed (a test runs it).
void throw_if_runs_failed(const std::vector<SweepFailure>& failures, size_t runs,
                          const std::string& where, const std::string& parts,
                          const std::string& rerun);

}  // namespace poisonsim::cli
