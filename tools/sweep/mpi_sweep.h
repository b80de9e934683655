#pragma once
// `mpirun -np N poisonsim sweep ...`: the ranks share the sweep's runs. Rank 0 hands out run ids
// one at a time as ranks (itself included) free a slot, so a run 10x longer than the others
// holds up one slot, not a fixed share of the grid. Each rank runs its runs exactly as a
// single-process sweep does (child `poisonsim run`s writing <output>.parts/, which must be on a
// filesystem every host sees), and rank 0 writes the sweep file from the parts.
//
// Built from mpi_sweep.cpp when CMake finds MPI (POISONSIM_MPI), else from
// mpi_sweep_disabled.cpp, whose MpiSweep says the binary has no MPI.
#include <cstdlib>
#include <exception>

#include "tools/sweep/sweep_runner.h"

namespace poisonsim {

// True when mpirun or srun started this process as an MPI rank (Open MPI's, PMIx's or PMI's
// variables in the environment).
inline bool started_by_mpi() {
  for (const char* name : {"OMPI_COMM_WORLD_SIZE", "PMIX_RANK", "PMI_RANK"})
    if (std::getenv(name)) return true;
  return false;
}
// True when this binary was built with MPI.
bool built_with_mpi();

class MpiSweep {
 public:
  MpiSweep();   // MPI_Init; UserError when this binary has no MPI
  ~MpiSweep();  // MPI_Finalize
  MpiSweep(const MpiSweep&) = delete;
  MpiSweep& operator=(const MpiSweep&) = delete;

  int rank() const { return rank_; }
  int size() const { return size_; }
  // Cores this rank may use: its CPU affinity shared among the ranks on its host that have the
  // same affinity (mpirun without binding gives every rank all cores).
  int cores() const { return cores_; }

  // Every rank calls it after a step that may fail (e.g. planning, with the UserError it threw
  // or nullptr). When some rank failed, the lowest such rank rethrows its error (one error line,
  // exit code 2, which mpirun passes on) and every other rank finalizes and exits quietly.
  void all_or_none(const std::exception_ptr& error);

  // Runs the plan over all ranks; rank 0 writes the sweep file (outcome.wrote_sweep_file).
  SweepOutcome run(const SweepPlan& plan, const SweepRunnerOptions& options);

 private:
  int rank_ = 0;
  int size_ = 1;
  int cores_ = 1;
  bool finalized_ = false;
};

}  // namespace poisonsim
