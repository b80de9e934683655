// The MPI sweep of a build without MPI (CMake found none, or POISONSIM_MPI=OFF): started by
// mpirun, `poisonsim sweep` says so instead of running the whole sweep once per rank.
#include <cstdlib>
#include <string>

#include "sim/util/error.h"
#include "tools/sweep/mpi_sweep.h"

namespace poisonsim {

bool built_with_mpi() { return false; }

MpiSweep::MpiSweep() {
  // Rank 0 alone says it (one error line; mpirun passes on its exit code 2).
  for (const char* name : {"OMPI_COMM_WORLD_RANK", "PMIX_RANK", "PMI_RANK"})
    if (const char* rank = std::getenv(name); rank && std::string(rank) != "0") std::exit(0);
  throw UserError("mpirun",
                  "this poisonsim was built without MPI: install libopenmpi-dev "
                  "(tools/scripts/setup.sh) and build again, or run the sweep in shards "
                  "with --shard i/N and `poisonsim merge`");
}

MpiSweep::~MpiSweep() = default;

void MpiSweep::all_or_none(const std::exception_ptr&) {}

SweepOutcome MpiSweep::run(const SweepPlan&, const SweepRunnerOptions&) { return {}; }

}  // namespace poisonsim
