// `poisonsim resume`: continue a run from its checkpoint (`run --checkpoint-every`).
#include <filesystem>
#include <memory>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "pipeline/data/data_fingerprint.h"
#include "pipeline/runtime/numeric_runtime.h"
#include "pipeline/runtime/provenance.h"
#include "pipeline/scenario/scenario.h"
#include "pipeline/simulation/simulation.h"
#include "pipeline/trace/checkpoint_file.h"
#include "pipeline/trace/trace_reader.h"
#include "poisonsim_version.h"
#include "sim/util/atomic_output.h"
#include "sim/util/error.h"
#include "sim/util/file_checks.h"
#include "sim/util/stop_signal.h"
#include "tools/cli/checkpoint_paths.h"
#include "tools/cli/commands.h"
#include "tools/cli/console_format.h"
#include "tools/cli/json_output.h"
#include "tools/cli/run_output.h"
#include "tools/cli/verb_table.h"
#include "tools/common/builtin_plugins.h"

namespace poisonsim::cli {
namespace {

struct ResumeOptions {
  std::string checkpoint;
  std::string output;
  bool force = false;
  std::string json;
};

// The interrupted run's own trace (complete = 0) is what resume replaces; a finished trace at
// that path is someone's result and needs --force.
AtomicOutput::Existing existing_policy(const std::string& output, bool force) {
  if (force || !std::filesystem::exists(output)) return AtomicOutput::Existing::replace;
  bool complete = true;
  try {
    complete = TraceReader(output).complete();
  } catch (const UserError&) {
    // Not a trace: leave it alone unless forced.
  }
  if (complete)
    throw UserError(output,
                    "exists and is a finished trace (complete = 1), not the interrupted run's "
                    "(complete = 0): use -o for another file, or --force to replace it");
  return AtomicOutput::Existing::replace;
}

// The same release and the same build: a resumed run's floating point, and so the gate's
// decisions, are those of the code that wrote the checkpoint.
void check_same_build(const CheckpointFile& checkpoint, const std::string& where) {
  const std::string commit = build_commit();
  if (checkpoint.poisonsim_version == POISONSIM_VERSION && checkpoint.build_commit == commit) {
    if (build_commit_unknown(commit))
      spdlog::warn(
          "this build's git commit is unknown (built outside a git checkout): the "
          "checkpoint's build is checked by its version ({}) alone",
          POISONSIM_VERSION);
    return;
  }
  const auto describe = [](const std::string& version, const std::string& build) {
    return fmt::format("{} (commit {}{})", version, build,
                       build_commit_unknown(build) ? ": built outside a git checkout" : "");
  };
  throw UserError(where,
                  fmt::format("was written by poisonsim {}, this is {}: resume it with "
                              "that build",
                              describe(checkpoint.poisonsim_version, checkpoint.build_commit),
                              describe(POISONSIM_VERSION, commit)));
}

void resume_run(const ResumeOptions& o, const GlobalOptions& global) {
  apply_global_options(global);
  install_stop_handlers(kRunStopping);
  // Before reading it: a run still writing this checkpoint would replace it under us.
  require_regular_file(o.checkpoint, "a checkpoint (HDF5)");
  check_checkpoint_path(o.checkpoint, true);  // not through a link: checkpoints replace it
  const auto checkpoint_lock = reserve_checkpoint(o.checkpoint);
  const CheckpointFile checkpoint = read_checkpoint_file(o.checkpoint);
  if (checkpoint.finished())
    throw UserError(o.checkpoint,
                    fmt::format("the run finished at simulated time {} s; its trace {} is final "
                                "(complete = 1), so there is nothing to resume",
                                simulated_seconds(checkpoint.time), checkpoint.trace_output));
  check_same_build(checkpoint, o.checkpoint);
  const Scenario scenario =
      parse_scenario(checkpoint.scenario_yaml, checkpoint.scenario_path, {}, builtin_plugins());
  // The run's own mode (re-executes the program if this process runs the other one; the
  // checkpoint's lock is close-on-exec, so the new process takes it again).
  ensure_numerics_mode(scenario.numerics, o.checkpoint + ": compute.numerics");
  if (checkpoint.every != 0)
    check_checkpoint_interval(checkpoint.every, scenario.duration, o.checkpoint + ": every");
  // Before anything is restored: data.path resolves from here, maybe to other files.
  check_data_fingerprint(checkpoint.data_files, scenario.data, o.checkpoint);
  const std::string machine = checkpoint_machine();
  if (machine != checkpoint.machine)
    spdlog::warn(
        "the checkpoint was written on {}, this is {}: losses may differ in the last "
        "digits, and the gate's decisions with them",
        checkpoint.machine, machine);
  const std::string output = o.output.empty() ? checkpoint.trace_output : o.output;
  check_distinct_outputs(o.checkpoint, {{"the trace (-o)", output}, {"--json", o.json}});
  AtomicOutput trace(output, existing_policy(output, o.force));
  spdlog::info("resuming {} at simulated time {:.3f} s of {} -> {}", checkpoint.scenario_path,
               checkpoint.time, scenario.duration, output);
  JsonOutput json(o.json, o.force);
  SimulationOptions options{trace.temporary_path(), global.threads, !global.quiet, {}};
  options.checkpoints = {o.checkpoint, checkpoint.every, checkpoint.scenario_path, output,
                         checkpoint.data_files};
  Simulation simulation(scenario, options, checkpoint, o.checkpoint);
  run_to_trace(simulation, trace, output, options.checkpoints, json);
}

}  // namespace

void add_resume_command(CLI::App& app, const GlobalOptions& global) {
  auto o = std::make_shared<ResumeOptions>();
  auto* cmd = app.add_subcommand("resume", verb_summary("resume"));
  cmd->add_option("checkpoint", o->checkpoint, "Checkpoint file")->required();
  cmd->add_option("-o,--output", o->output,
                  "Trace file (default: the one the interrupted run was writing)");
  cmd->add_flag("--force", o->force,
                "Replace the trace file even if it is a finished trace, and the --json file");
  cmd->add_option("--json", o->json, "Also write the run's summary as JSON (- for stdout)");
  cmd->callback([o, &global] { resume_run(*o, global); });
}

}  // namespace poisonsim::cli
