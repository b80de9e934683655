// `poisonsim run`: run a scenario and write its trace.
#include <filesystem>
#include <memory>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "pipeline/model/numeric_runtime.h"
#include "pipeline/scenario/scenario.h"
#include "pipeline/simulation/simulation.h"
#include "sim/atomic_output.h"
#include "sim/error.h"
#include "sim/stage_times.h"
#include "sim/stop_signal.h"
#include "tools/commands/builtin_plugins.h"
#include "tools/commands/commands.h"

namespace poisonsim::cli {
namespace {

struct RunOptions {
  std::string scenario;
  std::string output;
  std::vector<std::string> overrides;
  bool force = false;
  bool quiet = false;
  bool no_cache = false;
};

void print_summary(const RunSummary& s) {
  fmt::print("\ntrace written to {} ({} events over {} simulated seconds, {:.1f} s wall)\n",
             s.trace_path, s.events, s.duration, s.wall_seconds);
  fmt::print("  {:<20} {:<7} {:>8} {:>9} {:>9} {:>8}\n", "source", "kind", "batches", "samples",
             "rejected", "rate");
  for (const auto& [name, st] : s.sources)
    fmt::print("  {:<20} {:<7} {:>8} {:>9} {:>9} {:>7.1f}%\n", name,
               st.is_poison ? "poison" : "clean", st.batches, st.samples, st.rejected,
               st.samples
                   ? 100.0 * static_cast<double>(st.rejected) / static_cast<double>(st.samples)
                   : 0.0);
  fmt::print("  retrains: {} ({} deployed, {} refused by the gate)\n", s.retrains, s.deployed,
             s.refused);
  fmt::print("  clean test accuracy: {:.4f} after pretraining, {:.4f} at the end (lowest {:.4f})\n",
             s.first_accuracy, s.last_accuracy, s.min_accuracy);
  fmt::print("  wall seconds by stage: {}\n", format_stage_seconds(s.stage_seconds));
  fmt::print("  summary: poisonsim inspect {}\n", s.trace_path);
  fmt::print(
      "  tables:  /usr/bin/python3 -c \"import h5py, pandas; "
      "print(pandas.DataFrame(h5py.File('{}')['evaluations'][:]))\"\n",
      s.trace_path);
}

void run_scenario(const RunOptions& o, const GlobalOptions& global) {
  apply_global_options(global);
  install_stop_handlers();
  auto overrides = o.overrides;
  if (o.no_cache) overrides.push_back("pretrain.cache=false");
  const auto scenario = load_scenario(o.scenario, overrides, builtin_plugins());
  std::string output = o.output;
  if (output.empty()) output = std::filesystem::path(o.scenario).stem().string() + ".h5";
  // Before any work: a trace that exists (without --force) or that another run is writing.
  AtomicOutput trace(output,
                     o.force ? AtomicOutput::Existing::replace : AtomicOutput::Existing::refuse);
  spdlog::info("running {} (seed {}, {} s simulated) -> {}", o.scenario, scenario.seed,
               scenario.duration, output);
  spdlog::info("on {}: {}", cpu_info().model, blas_info().describe());
  Simulation simulation(scenario, {trace.temporary_path(), global.threads, !o.quiet});
  RunSummary summary;
  try {
    summary = simulation.run();
  } catch (const UserError& e) {
    // Mid-run (a full disk, a file-size limit): keep what was written, say where.
    trace.keep_temporary();
    throw UserError(e.where(), fmt::format("{}; the trace so far is kept in {} (complete = 0)",
                                           e.problem(), trace.temporary_path()));
  }
  trace.commit();
  summary.trace_path = output;
  if (summary.stopped_by) {
    fmt::print(stderr,
               "poisonsim: stopped by {} at simulated time {} s; the trace so far is in "
               "{} (complete = 0)\n",
               signal_name(summary.stopped_by), summary.duration, output);
    throw StoppedBySignal(summary.stopped_by);
  }
  print_summary(summary);
}

}  // namespace

void add_run_command(CLI::App& app, const GlobalOptions& global) {
  auto o = std::make_shared<RunOptions>();
  auto* cmd = app.add_subcommand("run", "Run a scenario and write its HDF5 trace");
  cmd->add_option("scenario", o->scenario, "Scenario YAML file")->required();
  cmd->add_option("-o,--output", o->output, "Trace file (default: <scenario name>.h5)");
  cmd->add_option("--set", o->overrides, "Override a value: key.path=value (repeatable)")
      ->allow_extra_args(false);
  cmd->add_flag("--force", o->force,
                "Replace the trace file if it exists (only once the run has written its own)");
  cmd->add_flag("--quiet", o->quiet, "No progress bar");
  cmd->add_flag("--no-cache", o->no_cache,
                "Pretrain afresh, neither reading nor writing the pretrained-model cache "
                "(same as --set pretrain.cache=false)");
  cmd->callback([o, &global] { run_scenario(*o, global); });
}

}  // namespace poisonsim::cli
