#pragma once
// Where a result came from, stored with it (trace attribute `provenance`, a JSON object) so a
// published number can be traced to the exact program, command, machine and libraries that
// made it: which models the gate deploys depends on floating point, so on all of these.
#include <string>
#include <vector>

namespace poisonsim {

// Remembers this process's command line (main calls it first thing).
void set_command_line(int argc, const char* const* argv);
// That command line (empty if main did not record it): how a process re-executes itself.
const std::vector<std::string>& recorded_command_line();

// The provenance of a run starting now, as a JSON object: poisonsim version and git commit,
// command line, CPU model and instruction sets, the numeric libraries' part (below), HDF5's
// version, host name and start time (UTC), and the users' plug-in files this process loaded
// (plugin_files.h), when there are any. `scoring_threads`: the run's oneTBB threads (0: per
// core).
std::string provenance_json(int scoring_threads);

// The numeric libraries' part of the provenance, a JSON object of its own keys: BLAS library and
// kernel, numerics mode and kernels in effect, LibTorch, oneDNN and oneTBB versions, thread
// settings. The libraries' side installs it when it is linked (compute_threads.cpp); the light
// front (tools/cli/front_main.cpp), which never loads them, records none: only what it read.
using LibraryProvenance = std::string (*)(int scoring_threads);
void set_library_provenance(LibraryProvenance describe);

// The git commit this binary was built from (tools/cli/write_commit.cmake, rerun at every build),
// with "-dirty" when the tree had changes, or "unknown (not a git checkout)".
std::string build_commit();

// True when build_commit() could not be known (the source tree had no .git).
bool build_commit_unknown(const std::string& commit);

}  // namespace poisonsim
