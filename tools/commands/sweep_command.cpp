// `poisonsim sweep`: run a scenario over a grid of parameter values into one sweep file.
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <thread>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "pipeline/trace/sweep_file.h"
#include "sim/error.h"
#include "tools/commands/builtin_plugins.h"
#include "tools/commands/commands.h"
#include "tools/commands/summary_table.h"
#include "tools/sweep/child_processes.h"
#include "tools/sweep/sweep_runner.h"

namespace poisonsim::cli {
namespace {

struct SweepCommandOptions {
  std::string scenario;
  std::string output;
  std::vector<std::string> params;
  std::vector<std::string> overrides;
  int jobs = 0;
  bool force = false;
  bool quiet = false;
  bool keep_parts = false;
  bool dry_run = false;
};

void print_plan(const SweepPlan& plan) {
  fmt::print("{} runs over {}:\n", plan.runs.size(), plan.scenario_path);
  for (const auto& axis : plan.axes)
    fmt::print("  {:<28} {} values: {}\n", axis.path, axis.values.size(),
               fmt::join(axis.values, ", "));
  std::fflush(stdout);  // before the runs' progress and logs on stderr
}

void run_sweep_command(const SweepCommandOptions& o, const GlobalOptions& global) {
  apply_global_options(global);
  const SweepPlan plan = plan_sweep(o.scenario, o.params, o.overrides, builtin_plugins());
  if (o.dry_run) {
    print_plan(plan);
    for (const auto& run : plan.runs)
      fmt::print("  run {:>4}: {}\n", run.id,
                 fmt::join(run.overrides.end() - static_cast<long>(plan.axes.size()),
                           run.overrides.end(), "  "));
    return;
  }
  std::string output = o.output;
  if (output.empty()) output = std::filesystem::path(o.scenario).stem().string() + "-sweep.h5";
  std::error_code ec;
  if (std::filesystem::exists(output, ec) && !o.force)
    throw UserError(output, "exists already: choose another -o, or pass --force to overwrite it");
  const auto parent = std::filesystem::path(output).parent_path();
  if (!parent.empty()) std::filesystem::create_directories(parent, ec);
  print_plan(plan);

  SweepRunnerOptions runner;
  runner.output = output;
  runner.executable = own_executable();
  runner.jobs = o.jobs;
  runner.threads = global.threads;
  runner.show_progress = !o.quiet;
  runner.keep_parts = o.keep_parts;
  const SweepOutcome outcome = run_sweep(plan, runner);

  fmt::print("\nsweep written to {} ({} runs, {} reused, {} at a time, {:.1f} s wall)\n\n", output,
             outcome.runs, outcome.reused, outcome.jobs, outcome.wall_seconds);
  print_summary_table(read_sweep_file(output));
  fmt::print("\n  details: poisonsim inspect {} --group /runs/<run>\n", output);
  if (outcome.failures.empty()) return;
  bool all_user_errors = true;
  for (const auto& f : outcome.failures) {
    fmt::print(stderr, "run {} failed (exit code {}), log {}: {}\n", f.run, f.exit_code, f.log_path,
               f.last_line);
    all_user_errors = all_user_errors && f.exit_code == 2;
  }
  const std::string message = fmt::format(
      "{} of {} runs failed; their rows have status \"failed\"; their logs are kept in "
      "{}.parts/, and rerunning the same command reuses the runs that finished",
      outcome.failures.size(), outcome.runs, output);
  if (all_user_errors) throw UserError(output, message);
  throw CommandFailed(message);
}

}  // namespace

void add_sweep_command(CLI::App& app, const GlobalOptions& global) {
  auto o = std::make_shared<SweepCommandOptions>();
  auto* cmd = app.add_subcommand(
      "sweep",
      "Run a scenario for every combination of parameter values (in parallel) into one HDF5 "
      "file: a summary table plus each run's trace");
  cmd->add_option("scenario", o->scenario, "Scenario YAML file (may hold a `sweep:` block)")
      ->required();
  cmd->add_option("--param", o->params,
                  "key.path=values: 1,5,10 or START:STOP:logN / linN (repeatable; replaces the "
                  "scenario's sweep block entry for the same path)")
      ->allow_extra_args(false);
  cmd->add_option("--set", o->overrides, "Override a value in every run: key.path=value")
      ->allow_extra_args(false);
  cmd->add_option("-o,--output", o->output, "Sweep file (default: <scenario name>-sweep.h5)");
  cmd->add_option("-j,--jobs", o->jobs,
                  "Runs at once (default: cores / compute.train_threads, at least 1)")
      ->check(CLI::Range(0, 1024));
  cmd->add_flag("--force", o->force, "Overwrite the sweep file if it exists");
  cmd->add_flag("--quiet", o->quiet, "No progress bar");
  cmd->add_flag("--keep-parts", o->keep_parts,
                "Keep each run's own trace file in <output>.parts/ after the sweep");
  cmd->add_flag("--dry-run", o->dry_run, "Check every run's scenario and list the runs; run none");
  cmd->callback([o, &global] { run_sweep_command(*o, global); });
}

}  // namespace poisonsim::cli
