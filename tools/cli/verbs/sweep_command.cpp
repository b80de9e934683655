// `poisonsim sweep`: run a scenario over a grid of parameter values into one sweep file; the
// whole grid in this process, one shard of it (--shard i/N), or spread over MPI ranks when
// mpirun started it. `poisonsim merge` (merge_command.cpp) builds the file from shards.
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <optional>

#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <nlohmann/json.hpp>

#include "pipeline/scenario/sweep_axes.h"
#include "sim/util/atomic_output.h"
#include "sim/util/error.h"
#include "sim/util/stop_signal.h"
#include "tools/cli/commands.h"
#include "tools/cli/json_output.h"
#include "tools/cli/program_name.h"
#include "tools/cli/sweep_report.h"
#include "tools/cli/verb_table.h"
#include "tools/common/builtin_plugins.h"
#include "tools/sweep/child_processes.h"
#include "tools/sweep/mpi_sweep.h"
#include "tools/sweep/sweep_lock.h"
#include "tools/sweep/sweep_runner.h"

namespace poisonsim::cli {
namespace {

struct SweepCommandOptions {
  std::string scenario;
  std::string output;
  std::vector<std::string> params;
  std::vector<std::string> overrides;
  std::string shard;
  std::string seeds;  // --seeds N
  int jobs = 0;
  bool force = false;
  bool keep_parts = false;
  std::optional<uint64_t> seed;  // --seed S: the base seed (--set seed=S)
  std::string json;
  std::string report;  // --report DIR: draw the sweep file's report there at the end
  bool dry_run = false;
};

// --seeds N as a count (0 when not given); UserError naming the option when it is no count.
int64_t seed_count(const SweepCommandOptions& o) {
  return o.seeds.empty() ? 0 : parse_seed_count(o.seeds, "--seeds " + o.seeds);
}

void print_plan(const SweepPlan& plan) {
  fmt::print("{} runs over {}:\n", plan.runs.size(), plan.scenario_path);
  for (const auto& axis : plan.axes)
    fmt::print("  {:<28} {} values: {}\n", axis.path, axis.values.size(),
               fmt::join(axis.values, ", "));
  std::fflush(stdout);  // before the runs' progress and logs on stderr
}

void print_runs(const SweepPlan& plan, const SweepShard& shard) {
  for (const auto& run : plan.runs)
    if (shard.owns(run.id))
      fmt::print("  run {:>4}: {}\n", run.id,
                 fmt::join(run.overrides.end() - static_cast<long>(plan.axes.size()),
                           run.overrides.end(), "  "));
}

std::string output_path(const SweepCommandOptions& o) {
  if (!o.output.empty()) return o.output;
  return std::filesystem::path(o.scenario).stem().string() + "-sweep.h5";
}

// After failed runs: rerun_of() below makes the first work without --force.
constexpr const char* kSweepRerun =
    "rerunning the same command reuses the runs that finished and replaces this sweep file";
constexpr const char* kShardRerun =
    "rerunning the same command reuses the runs that finished; then poisonsim merge";

// Whether <output>.parts/ holds this same sweep's manifest: then a sweep file at <output> is an
// earlier attempt of this command (some runs failed, or --keep-parts), and the rerun that the
// failure message advises replaces it without --force, reusing the runs that finished.
bool rerun_of(const std::string& output, const SweepManifest& manifest) {
  try {
    const auto existing = read_manifest(sweep_parts_dir(output));
    return existing && *existing == manifest;
  } catch (const UserError&) {
    return false;  // unreadable: not provably ours
  }
}

// The sweep file must not exist unless --force or a rerun, nor be a link or other non-file
// (written at the end, it is checked now, sim/util/atomic_output.h); its directory is created.
void check_output(const std::string& output, bool force) {
  std::error_code ec;
  if (std::filesystem::exists(std::filesystem::symlink_status(output, ec)) && !force)
    throw UserError(output, "exists already: choose another -o, or pass --force to overwrite it");
  AtomicOutput::check_path(output, AtomicOutput::Existing::replace);
  const auto parent = std::filesystem::path(output).parent_path();
  if (!parent.empty()) std::filesystem::create_directories(parent, ec);
}

SweepRunnerOptions runner_options(const SweepCommandOptions& o, const GlobalOptions& global,
                                  const SweepPlan& plan, const std::string& output) {
  SweepRunnerOptions runner;
  runner.output = output;
  runner.executable = own_executable();
  runner.jobs = o.jobs;
  runner.threads = global.threads;
  runner.show_progress = !global.quiet;
  runner.keep_parts = o.keep_parts;
  runner.manifest = manifest_of(plan, o.params, o.overrides);
  return runner;
}

// `--json`: the outcome in numbers (the sweep file has the results).
std::string outcome_json(const std::string& output, const SweepOutcome& outcome) {
  nlohmann::ordered_json j;
  j["sweep"] = output;
  j["runs"] = outcome.runs;
  j["reused"] = outcome.reused;
  j["failed"] = outcome.failures.size();
  j["jobs"] = outcome.jobs;
  j["processes"] = outcome.processes;
  j["wall_seconds"] = outcome.wall_seconds;
  return j.dump(2) + "\n";
}

void print_outcome(const std::string& output, const SweepOutcome& outcome) {
  const std::string at_once = outcome.processes > 1 ? fmt::format("{} ranks x {} at a time",
                                                                  outcome.processes, outcome.jobs)
                                                    : fmt::format("{} at a time", outcome.jobs);
  fmt::print("\nsweep written to {} ({} runs, {} reused, {}, {:.1f} s wall)\n\n", output,
             outcome.runs, outcome.reused, at_once, outcome.wall_seconds);
  print_sweep_file(output);
}

// mpirun started every rank with the same arguments: each plans (cheap, and the same on all),
// rank 0 hands out the runs and writes the file.
void run_mpi_sweep(const SweepCommandOptions& o, const GlobalOptions& global) {
  MpiSweep mpi;
  std::optional<SweepPlan> plan;
  const std::string output = output_path(o);
  std::exception_ptr error;
  // Every rank's, for the sweep's life: each rank's runs inherit it (tools/sweep/sweep_lock.h).
  std::optional<SweepLock> lock;
  bool force = o.force;
  try {
    plan = plan_sweep(o.scenario, o.params, o.overrides, builtin_plugins(), seed_count(o));
    if (mpi.rank() == 0) {
      force = force || rerun_of(output, manifest_of(*plan, o.params, o.overrides));
      check_output(output, force);
      lock.emplace(output, SweepShard{});
      lock->share();
    }
  } catch (const UserError&) {
    error = std::current_exception();
  }
  mpi.all_or_none(error);
  try {
    if (mpi.rank() != 0) lock.emplace(output, SweepLock::JoinRankZero{});
  } catch (const UserError&) {
    error = std::current_exception();
  }
  mpi.all_or_none(error);  // no rank starts a run before every rank holds the lock
  if (mpi.rank() == 0) print_plan(*plan);
  SweepRunnerOptions runner = runner_options(o, global, *plan, output);
  runner.show_progress = runner.show_progress && mpi.rank() == 0;
  const SweepOutcome outcome = mpi.run(*plan, runner);
  if (!outcome.wrote_sweep_file) return;  // ranks other than 0
  print_outcome(output, outcome);
  JsonOutput(o.json, force).write(outcome_json(output, outcome));
  if (!o.report.empty()) write_report(output, o.report, global);
  throw_if_runs_failed(outcome.failures, outcome.runs, output, sweep_parts_dir(output),
                       kSweepRerun);
}

// A stop signal ended the sweep: say what is kept and how to go on, then exit 128 + signal.
void report_stop(const SweepOutcome& outcome, const std::string& parts) {
  fmt::print(stderr,
             "poisonsim: sweep stopped by {}: {} of {} runs finished; their traces are kept in "
             "{}/, and the same command again runs only the rest\n",
             signal_name(outcome.stopped_by), outcome.finished, outcome.runs, parts);
  throw StoppedBySignal(outcome.stopped_by);
}

void run_sweep_command(const SweepCommandOptions& o, const GlobalOptions& global) {
  apply_global_options(global);
  SweepShard shard;
  if (!o.shard.empty()) {
    shard = parse_sweep_shard(o.shard);
    const char* ranks = std::getenv("OMPI_COMM_WORLD_SIZE");
    if (ranks && std::atoi(ranks) > 1)
      throw UserError("--shard " + o.shard,
                      "mpirun started several ranks, and each would run this same shard: use "
                      "either mpirun (which spreads the runs itself) or --shard, not both");
  }
  if (shard.active() && !o.report.empty())
    throw UserError("--report " + o.report,
                    "a shard writes no sweep file: draw the report with poisonsim report once "
                    "poisonsim merge has written it");
  if (!shard.active() && !o.dry_run && started_by_mpi()) return run_mpi_sweep(o, global);
  // Under mpirun, mpirun itself passes signals on to the ranks.
  install_stop_handlers(
      "stopping: the running runs are told to stop; waiting for them to close their traces");

  const SweepPlan plan =
      plan_sweep(o.scenario, o.params, o.overrides, builtin_plugins(), seed_count(o));
  if (o.dry_run) {
    print_plan(plan);
    print_runs(plan, shard);
    return;
  }
  const std::string output = output_path(o);
  SweepRunnerOptions runner = runner_options(o, global, plan, output);
  runner.shard = shard;
  // A rerun of this same sweep replaces what its earlier attempt wrote (the sweep file, --json).
  const bool force = o.force || rerun_of(output, runner.manifest);
  // A shard writes only parts; the sweep file is merge's, which checks it then.
  if (!shard.active()) check_output(output, force);
  // Reserved before any run starts, for as long as any of them runs (tools/sweep/sweep_lock.h).
  const SweepLock lock(output, shard);
  JsonOutput json(o.json, force);
  if (!json.to_stdout()) print_plan(plan);
  const SweepOutcome outcome = run_sweep(plan, runner);
  const std::string parts = sweep_parts_dir(output);
  if (outcome.stopped_by) report_stop(outcome, parts);
  if (shard.active()) {
    fmt::print(
        "\n{}: {} runs ({} reused, {} failed, {} at a time, {:.1f} s wall) in {}/\n"
        "when every shard has finished: {} merge {}\n",
        shard.label(), outcome.runs, outcome.reused, outcome.failures.size(), outcome.jobs,
        outcome.wall_seconds, parts, program_name(), output);
  } else if (!json.to_stdout()) {
    print_outcome(output, outcome);
  }
  json.write(outcome_json(output, outcome));
  // The report of what finished, even when some runs failed (the sweep file marks them); a
  // shard with --report was refused above.
  if (!o.report.empty()) write_report(output, o.report, global);
  throw_if_runs_failed(outcome.failures, outcome.runs, output, parts,
                       shard.active() ? kShardRerun : kSweepRerun);
}

}  // namespace

void add_sweep_command(CLI::App& app, const GlobalOptions& global) {
  auto o = std::make_shared<SweepCommandOptions>();
  auto* cmd = app.add_subcommand("sweep", verb_summary("sweep"));
  cmd->add_option("scenario", o->scenario, "Scenario YAML file (may hold a `sweep:` block)")
      ->required();
  cmd->add_option("--param", o->params,
                  "key.path=values: 1,5,10 or START:STOP:logN / linN (repeatable; replaces the "
                  "scenario's sweep block entry for the same path)")
      ->allow_extra_args(false);
  cmd->add_option("--set", o->overrides, "Override a value in every run: key.path=value")
      ->allow_extra_args(false);
  cmd->add_option("--seeds", o->seeds,
                  "N: run every cell of the grid with N seeds, the scenario's seed S to S+N-1 (the "
                  "`seed` axis; replaces the sweep block's seed or seeds entry). `poisonsim "
                  "inspect <output> --mean-over seed` then gives means with 95% intervals");
  cmd->add_option("-o,--output", o->output, "Sweep file (default: <scenario name>-sweep.h5)");
  cmd->add_option("-j,--jobs", o->jobs,
                  "Runs at once (per MPI rank; default: cores / compute.train_threads, at least 1)")
      ->check(CLI::Range(0, 1024));
  cmd->add_option("--shard", o->shard,
                  "i/N: run only the run ids with id % N == i into <output>.parts/ (a batch job "
                  "array's task); `poisonsim merge <output>` then writes the sweep file");
  cmd->add_flag("--force", o->force, "Overwrite the sweep (and --json) file if it exists");
  cmd->add_option("--seed", o->seed,
                  "The base scenario's seed (same as --set seed=S; with --seeds N: S to S+N-1)");
  cmd->add_option("--json", o->json,
                  "Also write the sweep's outcome (runs, failures, wall "
                  "time) as JSON (- for stdout)");
  cmd->add_flag("--keep-parts", o->keep_parts,
                "Keep each run's own trace file in <output>.parts/ after the sweep");
  cmd->add_option("--report", o->report,
                  "DIR: when the sweep has finished, draw its report there (poisonsim report "
                  "OUTPUT -o DIR): for seeded sweeps the dose-response or stress-test figures");
  cmd->add_flag("--dry-run", o->dry_run,
                "Check every run's scenario and list the runs (of the shard); run none");
  cmd->callback([o, &global] {
    if (o->seed) o->overrides.push_back("seed=" + std::to_string(*o->seed));
    run_sweep_command(*o, global);
  });
}

}  // namespace poisonsim::cli
