// `poisonsim run`: run a scenario and write its trace.
#include <filesystem>
#include <memory>
#include <optional>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "pipeline/data/data_fingerprint.h"
#include "pipeline/runtime/numeric_runtime.h"
#include "pipeline/scenario/scenario.h"
#include "pipeline/simulation/simulation.h"
#include "sim/util/atomic_output.h"
#include "sim/util/error.h"
#include "sim/util/stage_times.h"
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

struct RunOptions {
  std::string scenario;
  std::string output;
  std::vector<std::string> overrides;
  bool force = false;
  bool no_cache = false;
  std::optional<uint64_t> seed;
  std::string json;
  std::optional<double> checkpoint_every;
  std::string checkpoint;
};

CheckpointPlan checkpoint_plan(const RunOptions& o, const Scenario& scenario,
                               const std::string& output) {
  CheckpointPlan plan;
  if (!o.checkpoint_every && o.checkpoint.empty()) return plan;
  plan.path = o.checkpoint.empty() ? output + ".checkpoint" : o.checkpoint;
  if (o.checkpoint_every) {
    check_checkpoint_interval(*o.checkpoint_every, scenario.duration, "--checkpoint-every");
    plan.every = *o.checkpoint_every;
  }
  check_checkpoint_path(plan.path, o.force);
  check_distinct_outputs(plan.path, {{"the trace (-o)", output}, {"--json", o.json}});
  plan.scenario_path = o.scenario;
  plan.trace_output = output;
  plan.data_files = data_fingerprint(scenario.data);
  return plan;
}

void run_scenario(const RunOptions& o, const GlobalOptions& global) {
  apply_global_options(global);
  install_stop_handlers(kRunStopping);
  auto overrides = o.overrides;
  if (o.no_cache) overrides.push_back("pretrain.cache=false");
  if (o.seed) overrides.push_back("seed=" + std::to_string(*o.seed));
  const auto scenario = load_scenario(o.scenario, overrides, builtin_plugins());
  // Before any lock or file: switching the mode re-executes the program.
  ensure_numerics_mode(scenario.numerics, o.scenario + ": compute.numerics");
  std::string output = o.output;
  if (output.empty()) output = std::filesystem::path(o.scenario).stem().string() + ".h5";
  const CheckpointPlan checkpoints = checkpoint_plan(o, scenario, output);
  // Held until the run ends, like the trace's own reservation below.
  const auto checkpoint_lock =
      checkpoints.path.empty() ? nullptr : reserve_checkpoint(checkpoints.path);
  // Before any work: a trace that exists (without --force) or that another run is writing.
  AtomicOutput trace(output,
                     o.force ? AtomicOutput::Existing::replace : AtomicOutput::Existing::refuse);
  spdlog::info("running {} (seed {}, {} s simulated) -> {}", o.scenario, scenario.seed,
               simulated_seconds(scenario.duration), output);
  spdlog::info("on {}: {}", cpu_info().model, blas_info().describe());
  JsonOutput json(o.json, o.force);
  SimulationOptions options{trace.temporary_path(), global.threads, !global.quiet, {}};
  options.checkpoints = checkpoints;
  Simulation simulation(scenario, options);
  run_to_trace(simulation, trace, output, options.checkpoints, json);
}

}  // namespace

void add_run_command(CLI::App& app, const GlobalOptions& global) {
  auto o = std::make_shared<RunOptions>();
  auto* cmd = app.add_subcommand("run", verb_summary("run"));
  cmd->add_option("scenario", o->scenario, "Scenario YAML file")->required();
  cmd->add_option("-o,--output", o->output, "Trace file (default: <scenario name>.h5)");
  cmd->add_option("--set", o->overrides, "Override a value: key.path=value (repeatable)")
      ->allow_extra_args(false);
  cmd->add_flag(
      "--force", o->force,
      "Replace the trace (and --json) file if it exists (only once the run has written its own)");
  cmd->add_option("--seed", o->seed, "The scenario's seed (same as --set seed=N)");
  cmd->add_option("--json", o->json, "Also write the run's summary as JSON (- for stdout)");
  cmd->add_flag("--no-cache", o->no_cache,
                "Pretrain afresh, neither reading nor writing the pretrained-model cache "
                "(same as --set pretrain.cache=false)");
  cmd->add_option("--checkpoint-every", o->checkpoint_every,
                  "Save the whole run state at every multiple of T simulated seconds (and when "
                  "a signal stops the run), so `poisonsim resume` can continue it; from "
                  "duration / 10000 to less than the duration");
  cmd->add_option("--checkpoint", o->checkpoint,
                  "Checkpoint file (default: <trace>.checkpoint); alone, a checkpoint is only "
                  "written when a signal stops the run");
  cmd->callback([o, &global] { run_scenario(*o, global); });
}

}  // namespace poisonsim::cli
