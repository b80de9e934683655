#include "tools/cli/run_output.h"

#include <cmath>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "sim/util/atomic_output.h"
#include "sim/util/error.h"
#include "sim/util/stage_times.h"
#include "sim/util/stop_signal.h"
#include "tools/cli/commands.h"
#include "tools/cli/console_format.h"
#include "tools/cli/json_output.h"
#include "tools/cli/program_name.h"
#include "tools/common/json_number.h"

namespace poisonsim::cli {
namespace {

void print_summary(const RunSummary& s) {
  fmt::print("\ntrace written to {} ({} events over {} simulated seconds, {:.1f} s wall)\n",
             s.trace_path, s.events, simulated_seconds(s.duration), s.wall_seconds);
  // The columns and names of `poisonsim inspect`'s source table, in the same (arrival) order.
  fmt::print("  {:<20} {:<8} {:>8} {:>9} {:>9} {:>8}\n", "source", "kind", "batches", "samples",
             "rejected", "rate");
  for (const auto& st : s.sources)
    fmt::print("  {:<20} {:<8} {:>8} {:>9} {:>9} {:>7.1f}%\n", st.name, source_kind(st.is_poison),
               st.batches, st.samples, st.rejected,
               st.samples
                   ? 100.0 * static_cast<double>(st.rejected) / static_cast<double>(st.samples)
                   : 0.0);
  const RunMetrics& m = s.metrics;
  fmt::print("  retrains: {} ({} deployed, {} refused by the gate", m.retrains, m.deployed,
             m.refused);
  // A refusal of a model trained on clean data alone is the gate's false alarm, not a defense.
  if (m.refused > 0) fmt::print(", {} with no poison in the buffer", m.refused_without_poison);
  fmt::print(")");
  if (!std::isnan(m.retrain_test_change_min))
    fmt::print(", worst test-accuracy change {:+.4f}", m.retrain_test_change_min);
  fmt::print("\n");
  fmt::print("  clean test accuracy: {:.4f} after pretraining, {:.4f} at the end (lowest {:.4f})\n",
             m.accuracy_first, m.accuracy_last, m.accuracy_min);
  fmt::print("  wall seconds by stage, adding up to the {:.1f}: {}\n", s.wall_seconds,
             format_stage_seconds(s.stage_seconds));
  fmt::print("  summary: {} inspect {}\n", program_name(), s.trace_path);
  fmt::print(
      "  tables:  /usr/bin/python3 -c \"import h5py, pandas; "
      "print(pandas.DataFrame(h5py.File('{}')['evaluations'][:]))\"\n",
      s.trace_path);
}

}  // namespace

std::string summary_json(const RunSummary& s) {
  nlohmann::ordered_json j;
  j["trace"] = s.trace_path;
  j["simulated_seconds"] = s.duration;
  j["events"] = s.events;
  j["wall_seconds"] = s.wall_seconds;
  nlohmann::ordered_json sources = nlohmann::ordered_json::object();
  for (const auto& st : s.sources)
    sources[st.name] = {{"kind", source_kind(st.is_poison)},
                        {"batches", st.batches},
                        {"samples", st.samples},
                        {"rejected", st.rejected}};
  j["sources"] = sources;
  const RunMetrics& m = s.metrics;
  j["retrains"] = {{"total", m.retrains},
                   {"deployed", m.deployed},
                   {"refused", m.refused},
                   {"refused_without_poison", m.refused_without_poison},
                   {"worst_test_accuracy_change", number_or_null(m.retrain_test_change_min)}};
  j["accuracy"] = {{"first", number_or_null(m.accuracy_first)},
                   {"last", number_or_null(m.accuracy_last)},
                   {"min", number_or_null(m.accuracy_min)}};
  nlohmann::ordered_json stages = nlohmann::ordered_json::object();
  for (const auto& [stage, seconds] : s.stage_seconds) stages[stage] = seconds;
  j["stage_seconds"] = stages;
  return j.dump(2) + "\n";
}

void run_to_trace(Simulation& simulation, AtomicOutput& trace, const std::string& output,
                  const CheckpointPlan& checkpoints, JsonOutput& json) {
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
               "poisonsim: stopped by {} at simulated time {:.3f} s; the trace so far is in "
               "{} (complete = 0){}\n",
               signal_name(summary.stopped_by), summary.duration, output,
               checkpoints.path.empty()
                   ? std::string()
                   : "; continue with: " + program_name() + " resume " + checkpoints.path);
    throw StoppedBySignal(summary.stopped_by);
  }
  // After the commit: a kill in between leaves a checkpoint that resume refuses to replay over
  // the finished trace (without --force), never a finished record without its trace.
  simulation.record_finished();
  if (!json.to_stdout()) print_summary(summary);
  json.write(summary_json(summary));
}

}  // namespace poisonsim::cli
