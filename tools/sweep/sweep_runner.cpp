#include "tools/sweep/sweep_runner.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <limits>
#include <thread>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "pipeline/trace/run_metrics.h"
#include "pipeline/trace/sweep_file.h"
#include "pipeline/trace/trace_reader.h"
#include "poisonsim_version.h"
#include "sim/error.h"
#include "sim/progress.h"
#include "tools/sweep/child_processes.h"

namespace poisonsim {
namespace {

namespace fs = std::filesystem;

std::string part_path(const std::string& parts, int64_t id, const char* extension) {
  return (fs::path(parts) / fmt::format("run-{}.{}", id, extension)).string();
}

// A trace from an earlier attempt counts only if it finished and ran exactly this scenario.
bool reusable(const std::string& trace, const SweepRunSpec& run) {
  std::error_code ec;
  if (!fs::exists(trace, ec)) return false;
  try {
    const TraceReader reader(trace);
    return reader.complete() && reader.metadata().scenario_yaml == run.resolved_yaml;
  } catch (const std::exception&) {
    return false;  // a part cut short by a kill: run it again
  }
}

std::string last_line(const std::string& path) {
  std::ifstream in(path);
  std::string line, last;
  while (std::getline(in, line))
    if (line.find_first_not_of(" \t\r") != std::string::npos) last = line;
  return last;
}

int default_jobs(const SweepPlan& plan) {
  const int cores = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  int64_t train_threads = 1;
  for (const auto& run : plan.runs) train_threads = std::max(train_threads, run.train_threads);
  return std::max(1, cores / static_cast<int>(train_threads));
}

bool all_numbers(const std::vector<std::string>& values) {
  for (const auto& value : values)
    if (!parse_finite_number(value)) return false;
  return true;
}

std::vector<SummaryColumn> summary_columns(const SweepPlan& plan,
                                           const std::vector<bool>& succeeded,
                                           const std::vector<RunMetrics>& metrics) {
  std::vector<SummaryColumn> columns;
  SummaryColumn run{"run", SummaryColumn::Kind::integer, {}, {}, {}};
  SummaryColumn status{"status", SummaryColumn::Kind::text, {}, {}, {}};
  for (const auto& spec : plan.runs) {
    run.integers.push_back(spec.id);
    status.texts.push_back(succeeded[static_cast<size_t>(spec.id)] ? "ok" : "failed");
  }
  columns.push_back(run);
  columns.push_back(status);
  for (size_t a = 0; a < plan.axes.size(); ++a) {
    SummaryColumn column{plan.axes[a].path, SummaryColumn::Kind::text, {}, {}, {}};
    for (const auto& spec : plan.runs) column.texts.push_back(spec.values[a]);
    if (all_numbers(column.texts)) {
      column.kind = SummaryColumn::Kind::real;
      for (const auto& text : column.texts) column.reals.push_back(*parse_finite_number(text));
      column.texts.clear();
    }
    columns.push_back(std::move(column));
  }
  for (const auto& field : run_metric_fields()) {
    SummaryColumn column{
        field.name,
        field.is_integer ? SummaryColumn::Kind::integer : SummaryColumn::Kind::real,
        {},
        {},
        {}};
    for (const auto& m : metrics) {
      if (field.is_integer) {
        column.integers.push_back(field.as_integer(m));
      } else {
        column.reals.push_back(field.as_double(m));
      }
    }
    columns.push_back(std::move(column));
  }
  return columns;
}

RunMetrics failed_run_metrics() {
  RunMetrics m;
  const double nan = std::numeric_limits<double>::quiet_NaN();
  m.accuracy_first = m.accuracy_last = m.accuracy_min = m.accuracy_mean = nan;
  m.true_positive_rate = m.false_positive_rate = nan;
  m.poison_accepted_fraction = m.buffer_poison_fraction_mean = nan;
  return m;
}

void write_sweep_file(const SweepPlan& plan, const std::string& parts,
                      const std::vector<bool>& succeeded, const std::string& output) {
  const std::string partial = output + ".partial";
  {
    SweepHeader header;
    header.scenario_file = plan.scenario_path;
    header.scenario = plan.scenario_text;
    for (const auto& axis : plan.axes) header.parameters.push_back(axis.path);
    header.version = POISONSIM_VERSION;
    SweepFileWriter writer(partial, header);
    std::vector<RunMetrics> metrics;
    for (const auto& run : plan.runs) {
      if (!succeeded[static_cast<size_t>(run.id)]) {
        metrics.push_back(failed_run_metrics());
        continue;
      }
      const std::string trace = part_path(parts, run.id, "h5");
      metrics.push_back(compute_run_metrics(TraceReader(trace)));
      writer.add_run(run.id, trace);
    }
    writer.write_summary(summary_columns(plan, succeeded, metrics));
    writer.close();
  }
  std::error_code ec;
  fs::rename(partial, output, ec);
  if (ec)
    throw UserError(output, fmt::format("cannot move {} into place: {}", partial, ec.message()));
}

}  // namespace

SweepOutcome run_sweep(const SweepPlan& plan, const SweepRunnerOptions& options) {
  const auto start = std::chrono::steady_clock::now();
  SweepOutcome outcome;
  outcome.runs = plan.runs.size();
  outcome.jobs = options.jobs > 0 ? options.jobs : default_jobs(plan);
  const int cores = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  const int threads = options.threads > 0 ? options.threads : std::max(1, cores / outcome.jobs);

  const std::string parts = options.output + ".parts";
  std::error_code ec;
  fs::create_directories(parts, ec);
  if (ec) throw UserError(parts, fmt::format("cannot create the directory: {}", ec.message()));

  std::vector<bool> succeeded(plan.runs.size(), false);
  std::vector<ChildCommand> commands;
  std::vector<int64_t> command_run;
  for (const auto& run : plan.runs) {
    const std::string trace = part_path(parts, run.id, "h5");
    if (reusable(trace, run)) {
      succeeded[static_cast<size_t>(run.id)] = true;
      ++outcome.reused;
      continue;
    }
    ChildCommand command;
    command.argv = {options.executable,
                    "--threads",
                    std::to_string(threads),
                    "--log-level",
                    options.log_level,
                    "run",
                    plan.scenario_path,
                    "-o",
                    trace,
                    "--force",
                    "--quiet"};
    for (const auto& override : run.overrides) {
      command.argv.push_back("--set");
      command.argv.push_back(override);
    }
    command.log_path = part_path(parts, run.id, "log");
    commands.push_back(std::move(command));
    command_run.push_back(run.id);
  }
  if (outcome.reused > 0) spdlog::info("reusing {} finished runs from {}", outcome.reused, parts);
  spdlog::info("{} runs to do, {} at a time ({} scoring threads each); runs write into {}",
               commands.size(), outcome.jobs, threads, parts);

  Progress progress("sweep", static_cast<double>(plan.runs.size()), "runs",
                    options.show_progress ? Progress::Style::automatic : Progress::Style::silent);
  progress.update(static_cast<double>(outcome.reused));
  size_t done = outcome.reused;
  run_children(commands, outcome.jobs, [&](size_t index, int code) {
    const int64_t id = command_run[index];
    if (code == 0) {
      succeeded[static_cast<size_t>(id)] = true;
    } else {
      const auto& log = commands[index].log_path;
      outcome.failures.push_back({id, code, log, last_line(log)});
      spdlog::warn("run {} failed (exit code {}): {}", id, code, outcome.failures.back().last_line);
    }
    progress.update(static_cast<double>(++done), fmt::format("{} failed", outcome.failures.size()));
  });
  progress.finish(fmt::format("{} failed", outcome.failures.size()));

  write_sweep_file(plan, parts, succeeded, options.output);
  if (outcome.failures.empty() && !options.keep_parts) fs::remove_all(parts, ec);
  outcome.wall_seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return outcome;
}

}  // namespace poisonsim
