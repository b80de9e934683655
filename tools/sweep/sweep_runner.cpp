#include "tools/sweep/sweep_runner.h"

#include <algorithm>
#include <chrono>
#include <filesystem>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "sim/util/error.h"
#include "sim/util/progress.h"
#include "sim/util/stop_signal.h"

namespace poisonsim {
namespace {

namespace fs = std::filesystem;

int default_jobs(const SweepPlan& plan, int cores) {
  int64_t train_threads = 1;
  for (const auto& run : plan.runs) train_threads = std::max(train_threads, run.train_threads);
  return std::max(1, cores / static_cast<int>(train_threads));
}

}  // namespace

std::string sweep_parts_dir(const std::string& output) { return output + ".parts"; }

SweepRunLauncher::SweepRunLauncher(const SweepPlan& plan, const SweepRunnerOptions& options,
                                   std::string worker)
    : plan_(plan),
      options_(options),
      worker_(std::move(worker)),
      host_(this_host()),
      parts_(sweep_parts_dir(options.output)) {
  const int cores = options.cores > 0 ? options.cores : available_cores();
  jobs_ = options.jobs > 0 ? options.jobs : default_jobs(plan, cores);
  threads_ = options.threads > 0 ? options.threads : std::max(1, cores / jobs_);
}

ChildCommand SweepRunLauncher::command(int64_t run) const {
  const auto& spec = plan_.runs.at(static_cast<size_t>(run));
  ChildCommand command;
  command.argv = {options_.executable,
                  "--threads",
                  std::to_string(threads_),
                  "--log-level",
                  options_.log_level,
                  "run",
                  plan_.scenario_path,
                  "-o",
                  run_part_path(parts_, run, "h5"),
                  "--force",
                  "--quiet"};
  for (const auto& override : spec.overrides) {
    command.argv.push_back("--set");
    command.argv.push_back(override);
  }
  command.log_path = run_part_path(parts_, run, "log");
  return command;
}

void SweepRunLauncher::started(int64_t run) const {
  const auto& spec = plan_.runs.at(static_cast<size_t>(run));
  write_provenance(parts_, {run, 0, worker_, host_, 0, scenario_fingerprint(spec), false});
}

std::optional<SweepFailure> SweepRunLauncher::finished(int64_t run,
                                                       const FinishedChild& child) const {
  const auto& spec = plan_.runs.at(static_cast<size_t>(run));
  write_provenance(
      parts_, {run, child.exit_code, worker_, host_, child.seconds, scenario_fingerprint(spec)});
  if (child.exit_code == 0) return std::nullopt;
  const std::string log = run_part_path(parts_, run, "log");
  SweepFailure failure{run, child.exit_code, log, last_log_line(log)};
  spdlog::warn("run {} failed (exit code {}): {}", run, child.exit_code, failure.last_line);
  return failure;
}

std::vector<int64_t> prepare_sweep_parts(const SweepPlan& plan, const SweepRunnerOptions& options,
                                         size_t& reused) {
  const std::string parts = sweep_parts_dir(options.output);
  std::error_code ec;
  fs::create_directories(parts, ec);
  if (ec) throw UserError(parts, fmt::format("cannot create the directory: {}", ec.message()));
  // Shards share the directory, so one of another sweep there is a mistake; a whole sweep
  // (one process or MPI) owns it and only reuses runs whose scenario is unchanged.
  if (options.shard.active()) {
    const auto existing = read_manifest(parts);
    if (existing && !(*existing == options.manifest))
      throw UserError(manifest_path(parts),
                      "the parts directory belongs to another sweep (its scenario, --param or "
                      "--set differ): give this sweep another -o, or remove the directory");
  }
  write_manifest(parts, options.manifest);
  std::vector<int64_t> todo;
  reused = 0;
  for (const auto& run : plan.runs) {
    if (!options.shard.owns(run.id)) continue;
    if (finished_part(parts, run)) {
      ++reused;
      continue;
    }
    todo.push_back(run.id);
  }
  if (reused > 0) spdlog::info("reusing {} finished runs from {}", reused, parts);
  return todo;
}

void finish_sweep(const SweepPlan& plan, const SweepRunnerOptions& options, SweepOutcome& outcome) {
  const std::string parts = sweep_parts_dir(options.output);
  CollectedRuns runs = collect_runs(plan, {parts});
  for (const int64_t id : runs.missing)  // ran here, yet neither a trace nor a record: failed
    runs.failures.push_back({id, 1, run_part_path(parts, id, "log"), "the run left no trace"});
  write_sweep_file(plan, runs, options.output);
  outcome.failures = runs.failures;
  outcome.wrote_sweep_file = true;
  std::error_code ec;
  if (outcome.failures.empty() && !options.keep_parts) fs::remove_all(parts, ec);
}

SweepOutcome run_sweep(const SweepPlan& plan, const SweepRunnerOptions& options) {
  const auto start = std::chrono::steady_clock::now();
  SweepOutcome outcome;
  const std::vector<int64_t> todo = prepare_sweep_parts(plan, options, outcome.reused);
  outcome.runs = todo.size() + outcome.reused;
  const SweepRunLauncher launcher(plan, options,
                                  options.shard.active() ? options.shard.label() : "local");
  outcome.jobs = launcher.jobs();
  std::vector<ChildCommand> commands;
  for (const int64_t id : todo) commands.push_back(launcher.command(id));
  spdlog::info("{} runs to do, {} at a time ({} scoring threads each); runs write into {}",
               commands.size(), launcher.jobs(), launcher.threads(), launcher.parts());

  Progress progress("sweep", static_cast<double>(outcome.runs), "runs",
                    options.show_progress ? Progress::Style::automatic : Progress::Style::silent);
  progress.update(static_cast<double>(outcome.reused));
  size_t done = outcome.reused;
  run_children(commands, launcher.jobs(), [&](size_t index, const FinishedChild& child) {
    if (auto failure = launcher.finished(todo[index], child))
      outcome.failures.push_back(std::move(*failure));
    progress.update(static_cast<double>(++done), fmt::format("{} failed", outcome.failures.size()));
  });
  progress.finish(fmt::format("{} failed", outcome.failures.size()));

  outcome.stopped_by = stop_signal();
  if (outcome.stopped_by) {
    // The finished runs' traces stay in the parts directory; the same command redoes the rest.
    outcome.finished = done - outcome.failures.size();
  } else if (!options.shard.active()) {
    finish_sweep(plan, options, outcome);
  }
  outcome.wall_seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return outcome;
}

}  // namespace poisonsim
