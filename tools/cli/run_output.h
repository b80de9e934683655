#pragma once
// What `run` and `resume` share: running a simulation into its atomically written trace, and
// the summary printed at the end.
#include <string>

#include "pipeline/simulation/simulation.h"

namespace poisonsim {
class AtomicOutput;
}

namespace poisonsim::cli {

class JsonOutput;

// What `run` and `resume` answer a stop signal with at once (sim/util/stop_signal.h).
inline constexpr const char* kRunStopping =
    "stopping after the step in progress (a retrain or a generator's training may take seconds), "
    "then closing the trace";

// Runs `simulation`, whose trace is being written to trace.temporary_path(), and commits the
// trace to `output`. A run that fails mid-way keeps its partial trace and says where; one
// stopped by a signal says so and throws StoppedBySignal; a finished one prints its summary.
// With a --json output, the summary also goes there (JSON: summary_json()).
void run_to_trace(Simulation& simulation, AtomicOutput& trace, const std::string& output,
                  const CheckpointPlan& checkpoints, JsonOutput& json);

// The run summary as JSON text: what `run --json` writes.
std::string summary_json(const RunSummary& summary);

}  // namespace poisonsim::cli
