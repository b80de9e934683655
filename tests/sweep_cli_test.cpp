// `poisonsim sweep`, `roc` and `inspect` on sweep files, end to end on small synthetic runs.
#include <filesystem>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "pipeline/trace/sweep_file.h"
#include "tests/sweep_test_support.h"
#include "tests/test_support.h"
#include "tests/trace_row_fields.h"

namespace poisonsim {
namespace {

using test::column;
using test::expect_same_summary;
using test::poisonsim;
using test::small_scenario;
using SweepCli = test::SweepCliTest;

TEST_F(SweepCli, SameResultsWithOneOrTwoThreadsAndJobs) {
  const std::string sweep =
      "sweep " + small_scenario() + " --param guard.threshold=0.5:8:log4 --param seed=1,2 --quiet ";
  auto one = poisonsim("--threads 1 " + sweep + "--jobs 1 -o " + dir.file("one.h5"));
  ASSERT_EQ(one.exit_code, 0) << one.output;
  auto two = poisonsim("--threads 2 " + sweep + "--jobs 2 -o " + dir.file("two.h5"));
  ASSERT_EQ(two.exit_code, 0) << two.output;
  const auto a = read_sweep_file(dir.file("one.h5")), b = read_sweep_file(dir.file("two.h5"));
  EXPECT_TRUE(a.complete);
  EXPECT_EQ(a.header.parameters, (std::vector<std::string>{"guard.threshold", "seed"}));
  ASSERT_EQ(column(a, "run").integers.size(), 8u);
  expect_same_summary(a, b);
  for (int run = 0; run < 8; ++run) {
    const std::string group = "/runs/" + std::to_string(run);
    test::expect_same_trace(dir.file("one.h5"), dir.file("two.h5"), group, group);
  }
  // Seeds differ between runs 0 and 1 (same threshold), so their traces do too.
  EXPECT_NE(column(a, "clean_rejected").integers[0] + column(a, "accuracy_mean").reals[0],
            column(a, "clean_rejected").integers[1] + column(a, "accuracy_mean").reals[1]);
  EXPECT_FALSE(std::filesystem::exists(dir.file("one.h5.parts")));
}

TEST_F(SweepCli, SixteenThresholdsGiveAnRocInTheSummary) {
  auto result = poisonsim("sweep " + small_scenario() +
                          " --param guard.threshold=0.25:16:log16 --quiet -o " + dir.file("s.h5"));
  ASSERT_EQ(result.exit_code, 0) << result.output;
  const auto sweep = read_sweep_file(dir.file("s.h5"));
  const auto& thresholds = column(sweep, "guard.threshold").reals;
  const auto& tpr = column(sweep, "true_positive_rate").reals;
  const auto& fpr = column(sweep, "false_positive_rate").reals;
  ASSERT_EQ(thresholds.size(), 16u);
  EXPECT_EQ(thresholds.front(), 0.25);
  EXPECT_EQ(thresholds.back(), 16);
  for (size_t i = 0; i < 16; ++i) {
    EXPECT_EQ(column(sweep, "status").texts[i], "ok");
    EXPECT_GE(tpr[i], 0);
    EXPECT_LE(tpr[i], 1);
  }
  // The lowest threshold rejects (nearly) everything, the highest (nearly) nothing.
  EXPECT_GT(tpr.front(), 0.9);
  EXPECT_GT(fpr.front(), 0.2);
  EXPECT_LT(tpr.back(), 0.1);
  EXPECT_EQ(fpr.back(), 0);
  const auto text = poisonsim("inspect " + dir.file("s.h5"));
  ASSERT_EQ(text.exit_code, 0) << text.output;
  EXPECT_NE(text.output.find("true_positive_rate"), std::string::npos) << text.output;
  const auto json = nlohmann::json::parse(poisonsim("inspect --json " + dir.file("s.h5")).output);
  ASSERT_EQ(json["runs"].size(), 16u);
  EXPECT_EQ(json["runs"][15]["guard.threshold"], 16.0);
}

TEST_F(SweepCli, AnInterruptedSweepReusesFinishedRuns) {
  const std::string sweep = "sweep " + small_scenario() +
                            " --param guard.threshold=1,3 --quiet --keep-parts -o " +
                            dir.file("s.h5");
  ASSERT_EQ(poisonsim(sweep).exit_code, 0);
  ASSERT_TRUE(std::filesystem::exists(dir.file("s.h5.parts/run-1.h5")));
  // As if killed mid-way: the sweep file is gone, one run's trace is cut short.
  std::filesystem::remove(dir.file("s.h5"));
  test::write_text(dir.file("s.h5.parts/run-1.h5"), "cut short");
  auto again = test::run_poisonsim(sweep);
  ASSERT_EQ(again.exit_code, 0) << again.output;
  // --quiet keeps the log to warnings; the summary line says what was reused.
  EXPECT_NE(again.output.find("(2 runs, 1 reused"), std::string::npos) << again.output;
  EXPECT_EQ(read_sweep_file(dir.file("s.h5")).summary.front().size(), 2u);
}

TEST_F(SweepCli, RunsThatFailAreMarkedAndTheirLogsKept) {
  auto result = poisonsim("sweep " + small_scenario() +
                          " --param seed=1,2 --set model.file=/nonexistent/model.pt --quiet -o " +
                          dir.file("s.h5"));
  EXPECT_EQ(result.exit_code, 2) << result.output;
  EXPECT_NE(result.output.find("2 of 2 runs failed"), std::string::npos) << result.output;
  EXPECT_NE(result.output.find("/nonexistent/model.pt"), std::string::npos) << result.output;
  EXPECT_TRUE(std::filesystem::exists(dir.file("s.h5.parts/run-0.log")));
  const auto sweep = read_sweep_file(dir.file("s.h5"));
  EXPECT_EQ(column(sweep, "status").texts, (std::vector<std::string>{"failed", "failed"}));
}

TEST_F(SweepCli, BadParametersFailBeforeAnyRun) {
  auto result = poisonsim("sweep " + small_scenario() + " --param guard.threshold=1:2:log0 -o " +
                          dir.file("s.h5"));
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_NE(result.output.find("--param guard.threshold=1:2:log0"), std::string::npos)
      << result.output;
  result = poisonsim("sweep " + small_scenario() + " --param guard.threshold=1,abc -o " +
                     dir.file("s.h5"));
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_NE(result.output.find("error: --param guard.threshold=1,abc: expected a number"),
            std::string::npos)
      << result.output;
  EXPECT_NE(result.output.find("sweep run 1: guard.threshold=abc"), std::string::npos)
      << result.output;
  // A misspelled swept key is the --param's mistake: the runs apply it as --set, not the user.
  result = poisonsim("sweep " + small_scenario() + " --param guard.treshold=1,2 --set seed=4 -o " +
                     dir.file("s.h5"));
  test::expect_one_error(result,
                         "error: --param guard.treshold=1,2: unknown key, did you mean "
                         "'threshold'? (in sweep run 0: guard.treshold=1)");
  // A --set of the same sweep stays blamed on --set.
  result = poisonsim("sweep " + small_scenario() +
                     " --param guard.threshold=1,2 --set "
                     "guard.treshold=3 -o " +
                     dir.file("s.h5"));
  test::expect_one_error(result, "--set guard.treshold: unknown key, did you mean 'threshold'?");
  EXPECT_FALSE(std::filesystem::exists(dir.file("s.h5.parts")));
  auto dry = poisonsim("sweep " + small_scenario() + " --param seed=1,2,3 --dry-run");
  EXPECT_EQ(dry.exit_code, 0) << dry.output;
  EXPECT_NE(dry.output.find("run    2: seed=3"), std::string::npos) << dry.output;
}

TEST_F(SweepCli, OfflineRocFromARecordedTrace) {
  ASSERT_EQ(poisonsim("run " + small_scenario() + " --quiet -o " + dir.file("t.h5")).exit_code, 0);
  auto text = poisonsim("roc " + dir.file("t.h5") + " --thresholds 0.1,3,1000");
  ASSERT_EQ(text.exit_code, 0) << text.output;
  EXPECT_NE(text.output.find("ignores the guard's feedback on retraining"), std::string::npos);
  const auto json = nlohmann::json::parse(poisonsim("roc --json " + dir.file("t.h5")).output);
  EXPECT_EQ(json["mode"], "offline");
  ASSERT_EQ(json["points"].size(), 16u);  // the default 0.5:8:log16
  EXPECT_GE(json["auc"].get<double>(), 0.5);
  double previous = 1;
  for (const auto& point : json["points"]) {  // fewer rejections as the threshold rises
    EXPECT_LE(point["true_positive_rate"].get<double>(), previous);
    previous = point["true_positive_rate"].get<double>();
  }
  EXPECT_EQ(poisonsim("roc " + dir.file("t.h5") + " --thresholds 1:x:lin3").exit_code, 2);
  // --json FILE as on every verb: the file gets the JSON, stdout keeps the table.
  const auto to_file =
      poisonsim("roc " + dir.file("t.h5") + " --json " + dir.file("roc.json") + " -q");
  ASSERT_EQ(to_file.exit_code, 0) << to_file.output;
  EXPECT_NE(to_file.output.find("threshold"), std::string::npos) << to_file.output;
  const auto written = nlohmann::json::parse(test::read_text(dir.file("roc.json")));
  EXPECT_EQ(written["points"].size(), 16u);
  EXPECT_TRUE(written.contains("provenance"));
  const auto missing = poisonsim("roc --json");
  EXPECT_EQ(missing.exit_code, 2);
  EXPECT_NE(missing.output.find("error: roc: no trace given"), std::string::npos) << missing.output;
}

}  // namespace
}  // namespace poisonsim
