#pragma once
// One run of a scenario: builds the world (data, deployed model, guard, buffer, processes),
// runs the event loop for the scenario's duration, and writes the trace as it goes.
#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "pipeline/scenario/scenario.h"
#include "pipeline/simulation/checkpoints.h"
#include "pipeline/trace/run_metrics.h"

namespace poisonsim {

struct SimulationOptions {
  std::string trace_path;
  int threads = 0;  // oneTBB threads for scoring (0: one per core)
  bool show_progress = true;
  CheckpointPlan checkpoints;  // none unless checkpoints.path is set
};

struct RunSummary {
  std::string trace_path;
  double duration = 0;  // simulated seconds run: the scenario's, or less when stopped
  int stopped_by = 0;   // the signal that stopped the run early (sim/util/stop_signal.h), or 0
  int64_t events = 0;   // rows of the events table
  // The headline numbers, from the rows the run recorded (the sink `inspect` uses on the trace).
  RunMetrics metrics;
  std::vector<SourceTotals> sources;  // in the order each source first delivered a batch
  // Wall seconds from the start of data loading (the Simulation's construction) to the end of
  // the run, and by stage (sim/util/stage_times.h, in the order the stages first ran, `other`
  // included): the stages add up to the wall seconds.
  double wall_seconds = 0;
  std::vector<std::pair<std::string, double>> stage_seconds;
};

class Simulation {
 public:
  // Loads data and the initial model and creates the trace file. Throws UserError on bad input.
  Simulation(const Scenario& scenario, SimulationOptions options);
  // Resumes from a checkpoint of `scenario` (parsed from checkpoint.scenario_yaml): the trace
  // starts with the rows saved in it and every state is as it was, so the run continues as if
  // never interrupted. No pretraining. `where` names the checkpoint in errors.
  Simulation(const Scenario& scenario, SimulationOptions options, const CheckpointFile& checkpoint,
             const std::string& where);
  ~Simulation();
  Simulation(const Simulation&) = delete;
  Simulation& operator=(const Simulation&) = delete;

  // Runs to the scenario's duration, or to the event boundary after a stop signal
  // (sim/util/stop_signal.h): then the trace is closed with complete = 0 and a `stopped` attribute
  // (and, with a checkpoint path, a checkpoint is written there first).
  RunSummary run();
  // After a run() that finished (not stopped), once its trace is in place: the checkpoint it
  // wrote, if any, becomes the record that the run finished (pipeline/simulation/checkpoints.h).
  void record_finished() const;

 private:
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace poisonsim
