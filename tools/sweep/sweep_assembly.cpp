#include "tools/sweep/sweep_assembly.h"

#include <algorithm>
#include <filesystem>
#include <limits>

#include <fmt/format.h>

#include "pipeline/scenario/sweep_axes.h"
#include "pipeline/trace/run_metrics.h"
#include "pipeline/trace/sweep_aggregate.h"
#include "pipeline/trace/sweep_file.h"
#include "pipeline/trace/trace_reader.h"
#include "poisonsim_version.h"
#include "sim/util/atomic_output.h"
#include "sim/util/error.h"

namespace poisonsim {
namespace {

namespace fs = std::filesystem;
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

bool all_numbers(const std::vector<std::string>& values) {
  for (const auto& value : values)
    if (!parse_finite_number(value)) return false;
  return true;
}

// Column kinds come from the whole plan, never from which runs finished.
std::vector<SummaryColumn> summary_columns(const SweepPlan& plan, const CollectedRuns& runs,
                                           const std::vector<RunMetrics>& metrics) {
  std::vector<SummaryColumn> columns;
  SummaryColumn run{"run", SummaryColumn::Kind::integer, {}, {}, {}};
  SummaryColumn status{"status", SummaryColumn::Kind::text, {}, {}, {}};
  for (const auto& spec : plan.runs) {
    run.integers.push_back(spec.id);
    status.texts.push_back(runs.traces[static_cast<size_t>(spec.id)].empty() ? "failed" : "ok");
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

// What each finished run's trace says of the machine's part in its numbers ("" for failed runs).
struct RunNumerics {
  std::string cpu;
  std::string numerics;
};

std::vector<SummaryColumn> provenance_columns(const SweepPlan& plan, const CollectedRuns& runs,
                                              const std::vector<RunNumerics>& numerics) {
  SummaryColumn run{"run", SummaryColumn::Kind::integer, {}, {}, {}};
  SummaryColumn worker{"worker", SummaryColumn::Kind::text, {}, {}, {}};
  SummaryColumn host{"host", SummaryColumn::Kind::text, {}, {}, {}};
  SummaryColumn seconds{"seconds", SummaryColumn::Kind::real, {}, {}, {}};
  SummaryColumn exit_code{"exit_code", SummaryColumn::Kind::integer, {}, {}, {}};
  SummaryColumn cpu{"cpu", SummaryColumn::Kind::text, {}, {}, {}};
  SummaryColumn levels{"numerics", SummaryColumn::Kind::text, {}, {}, {}};
  for (const auto& spec : plan.runs) {
    const auto& p = runs.provenance[static_cast<size_t>(spec.id)];
    run.integers.push_back(spec.id);
    worker.texts.push_back(p ? p->worker : "");  // empty: a part from before provenance
    host.texts.push_back(p ? p->host : "");
    seconds.reals.push_back(p ? p->seconds : kNaN);
    exit_code.integers.push_back(p ? p->exit_code : 0);
    cpu.texts.push_back(numerics[static_cast<size_t>(spec.id)].cpu);
    levels.texts.push_back(numerics[static_cast<size_t>(spec.id)].numerics);
  }
  return {run, worker, host, seconds, exit_code, cpu, levels};
}

// The row of a run as recorded, or of one no process recorded (nullopt: worker and host empty):
// `exit_code` 0 when its finished trace is there, else 1 or more, as its summary row says
// `failed`. Seconds only where the record has the run's end.
RunProvenance row_of(const SweepRunSpec& run, const std::optional<RunProvenance>& record,
                     int exit_code) {
  RunProvenance row =
      record ? *record : RunProvenance{run.id, 0, "", "", kNaN, scenario_fingerprint(run), true};
  if (!row.ended) row.seconds = kNaN;
  row.exit_code = exit_code;
  return row;
}

RunMetrics failed_run_metrics() {
  RunMetrics m;
  m.accuracy_first = m.accuracy_last = m.accuracy_min = m.accuracy_mean = kNaN;
  m.accuracy_change = m.retrain_test_change_min = kNaN;
  m.true_positive_rate = m.false_positive_rate = kNaN;
  m.poison_accepted_fraction = m.buffer_poison_fraction_mean = kNaN;
  return m;
}

}  // namespace

CollectedRuns collect_runs(const SweepPlan& plan, const std::vector<std::string>& parts_dirs) {
  CollectedRuns out;
  out.traces.resize(plan.runs.size());
  out.provenance.resize(plan.runs.size());
  for (const auto& run : plan.runs) {
    const auto id = static_cast<size_t>(run.id);
    std::optional<RunProvenance> failed, started;
    std::string failed_dir;
    for (const auto& dir : parts_dirs) {
      auto provenance = read_provenance(dir, run);
      if (finished_part(dir, run)) {
        out.traces[id] = run_part_path(dir, run.id, "h5");
        // A record of a failure beside a finished trace is another attempt's (one killed with
        // its MPI rank, say), and the attempt that finished recorded nothing: no worker then.
        // A start record is of the attempt that finished (its rank was killed before the end).
        if (provenance && provenance->exit_code != 0) provenance.reset();
        out.provenance[id] = row_of(run, provenance, 0);
        break;
      }
      if (provenance && !provenance->ended && !started) started = provenance;
      if (provenance && provenance->ended && !failed) {
        failed = provenance;
        failed_dir = dir;
      }
    }
    if (!out.traces[id].empty()) continue;
    if (!failed) {  // it left no trace, and no end: its row says failed, as its summary row does
      out.missing.push_back(run.id);
      out.provenance[id] = row_of(run, started, 1);
      continue;
    }
    // A run that said it succeeded but left no finished trace failed all the same.
    const int code = failed->exit_code != 0 ? failed->exit_code : 1;
    const std::string log = run_part_path(failed_dir, run.id, "log");
    out.failures.push_back({run.id, code, log, last_log_line(log)});
    out.provenance[id] = row_of(run, failed, code);
  }
  return out;
}

void write_sweep_file(const SweepPlan& plan, const CollectedRuns& runs, const std::string& output) {
  // The command checked before any run that the file may be written (exists only with --force).
  AtomicOutput file(output, AtomicOutput::Existing::replace);
  const std::string& partial = file.temporary_path();
  {
    SweepHeader header;
    header.scenario_file = plan.scenario_path;
    header.scenario = plan.scenario_text;
    for (const auto& axis : plan.axes) header.parameters.push_back(axis.path);
    header.version = POISONSIM_VERSION;
    header.common_sets = plan.overrides;
    SweepFileWriter writer(partial, header);
    std::vector<RunMetrics> metrics;
    std::vector<RunNumerics> numerics(plan.runs.size());
    for (const auto& run : plan.runs) {
      const std::string& trace = runs.traces[static_cast<size_t>(run.id)];
      if (trace.empty()) {
        metrics.push_back(failed_run_metrics());
        continue;
      }
      const TraceReader reader(trace);
      metrics.push_back(compute_run_metrics(reader));
      numerics[static_cast<size_t>(run.id)] = {reader.metadata().cpu, reader.metadata().numerics};
      writer.add_run(run.id, trace);
    }
    const std::vector<SummaryColumn> summary = summary_columns(plan, runs, metrics);
    writer.write_summary(summary);
    if (std::find(header.parameters.begin(), header.parameters.end(), kSeedAxis) !=
        header.parameters.end())
      writer.write_table("aggregate",
                         aggregate_over(summary, header.parameters, kSeedAxis, output));
    writer.write_table("provenance", provenance_columns(plan, runs, numerics));
    writer.close();
  }
  file.commit();
}

}  // namespace poisonsim
