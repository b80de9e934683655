// The provenance table of a sweep file says what happened to each run, whatever an interrupted
// attempt left in the parts directory (issue 28: rows contradicted each other after a killed MPI
// rank). A run's record (run-<id>.json) is written by the process that started it, apart from
// the trace its run writes, so the two can disagree: a rank killed after its run finished left
// no record of the end, a failed attempt's record can lie beside the trace another attempt
// finished. The rows follow the traces, and a record only where it agrees with its trace.
#include <cmath>
#include <string>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "pipeline/trace/trace_writer.h"
#include "tests/test_support.h"
#include "tools/common/builtin_plugins.h"
#include "tools/sweep/sweep_assembly.h"
#include "tools/sweep/sweep_parts.h"
#include "tools/sweep/sweep_plan.h"

namespace poisonsim {
namespace {

void write_finished_trace(const std::string& parts, const SweepRunSpec& run) {
  TraceWriter::create_file(run_part_path(parts, run.id, "h5"), {run.resolved_yaml, 1, "test"}, {})
      ->close();
}

// The record a rank writes when it starts a run, before the run ends (written as text: it is
// what an MPI rank leaves when it is killed before its run's end).
void write_start_record(const std::string& parts, const SweepRunSpec& run,
                        const std::string& worker) {
  test::write_text(run_part_path(parts, run.id, "json"),
                   "{\"ended\":false,\"exit_code\":0,\"host\":\"node1\",\"run\":" +
                       std::to_string(run.id) + ",\"scenario_fingerprint\":\"" +
                       fmt::format("{:016x}", scenario_fingerprint(run)) +
                       "\",\"seconds\":0,\"worker\":\"" + worker + "\"}\n");
}

TEST(SweepProvenance, EveryRowSaysWhatHappenedToItsRun) {
  test::ScratchDir dir;
  const auto plan =
      plan_sweep(std::string(POISONSIM_SOURCE_DIR) + "/tests/scenarios/synthetic-small.yaml",
                 {"seed=1,2,3,4,5"}, {}, cli::builtin_plugins());
  const std::string parts = dir.path();
  const auto& runs = plan.runs;
  // 0: finished, and recorded so by its rank.
  write_finished_trace(parts, runs[0]);
  write_provenance(parts, {0, 0, "rank 1/3", "node1", 4.5, scenario_fingerprint(runs[0])});
  // 1: finished, beside the record of an attempt that was killed (exit 143): the finished trace
  // is another attempt's, which left no record.
  write_finished_trace(parts, runs[1]);
  write_provenance(parts, {1, 143, "rank 2/3", "node1", 2.0, scenario_fingerprint(runs[1])});
  // 2: recorded as a success, but its finished trace was replaced by one cut short.
  write_provenance(parts, {2, 0, "rank 0/3", "node1", 3.0, scenario_fingerprint(runs[2])});
  // 3: nothing at all. 4: finished; its rank was killed before it could record the end.
  write_finished_trace(parts, runs[4]);
  write_start_record(parts, runs[4], "rank 1/3");

  const CollectedRuns collected = collect_runs(plan, {parts});
  for (size_t id = 0; id < runs.size(); ++id) ASSERT_TRUE(collected.provenance[id]) << id;
  const auto row = [&](size_t id) { return *collected.provenance[id]; };
  EXPECT_FALSE(collected.traces[0].empty());
  EXPECT_EQ(row(0).worker, "rank 1/3");
  EXPECT_EQ(row(0).exit_code, 0);
  EXPECT_EQ(row(0).seconds, 4.5);

  EXPECT_FALSE(collected.traces[1].empty());
  EXPECT_EQ(row(1).worker, "") << "the row names the attempt that failed, not the one that "
                                  "finished";
  EXPECT_EQ(row(1).exit_code, 0);
  EXPECT_TRUE(std::isnan(row(1).seconds));

  EXPECT_TRUE(collected.traces[2].empty());
  EXPECT_EQ(row(2).worker, "rank 0/3");
  EXPECT_EQ(row(2).exit_code, 1) << "a failed row with exit code 0";
  ASSERT_EQ(collected.failures.size(), 1u);
  EXPECT_EQ(collected.failures[0].run, 2);
  EXPECT_EQ(collected.failures[0].exit_code, row(2).exit_code);

  EXPECT_EQ(collected.missing, std::vector<int64_t>{3});
  EXPECT_EQ(row(3).worker, "");
  EXPECT_EQ(row(3).exit_code, 1) << "a run that left nothing, with exit code 0";

  EXPECT_FALSE(collected.traces[4].empty());
  EXPECT_EQ(row(4).worker, "rank 1/3") << "who ran it is known from the start record";
  EXPECT_EQ(row(4).host, "node1");
  EXPECT_EQ(row(4).exit_code, 0);
  EXPECT_TRUE(std::isnan(row(4).seconds)) << "seconds of a run whose end nobody recorded";
}

}  // namespace
}  // namespace poisonsim
