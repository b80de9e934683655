// The trace's `scores` table (trace_format 5) on real Fashion-MNIST runs: every scoring stage
// records one score per sample it judged, naming the sample's row and the stage's own verdict,
// and `roc --stage` turns them into a curve.
#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "pipeline/trace/trace_metadata.h"
#include "pipeline/trace/trace_reader.h"
#include "tests/defense_run_fixture.h"
#include "tests/test_support.h"

namespace poisonsim {
namespace {

struct StageScores : test::DefenseRunFixture {};

// The `scores` table: every sample the sphere stage judged (what the loss stage before it let
// through) has exactly one row naming its samples row, with the stage's verdict; `roc --stage`
// recomputes the curve from those rows.
TEST_F(StageScores, ScoringStagesRecordAScoreForEverySampleTheyJudged) {
  if (test::fashion_mnist_dir().empty()) GTEST_SKIP() << "Fashion-MNIST not installed";
  const auto result = run("scores.h5",
                          "--set 'guard=[{type: loss-threshold}, {type: sphere, quantile: 0.95}]'");
  ASSERT_EQ(result.exit_code, 0) << result.output;
  const TraceContents trace = read_trace(dir.file("scores.h5"));
  ASSERT_EQ(trace.trace_format, kTraceFormat);
  size_t judged = 0;
  for (const auto& s : trace.samples) judged += s.rejected_by != 1;
  ASSERT_EQ(trace.scores.size(), judged);
  int64_t previous = -1, poison = 0;
  double poison_mean = 0, clean_mean = 0;
  for (const auto& row : trace.scores) {
    ASSERT_GT(row.sample, previous);  // one row per sample, in samples order
    previous = row.sample;
    const SampleRow& s = trace.samples[static_cast<size_t>(row.sample)];
    EXPECT_EQ(row.stage, 2);
    EXPECT_EQ(row.time, s.time);
    EXPECT_EQ(row.is_poison, s.is_poison);
    EXPECT_EQ(row.rejected != 0, s.rejected_by == 2) << "row " << row.sample;
    EXPECT_TRUE(std::isfinite(row.score));
    poison += row.is_poison;
    (row.is_poison ? poison_mean : clean_mean) += row.score;
  }
  ASSERT_GT(poison, 0);
  // Flipped labels sit far from their new label's centroid.
  EXPECT_GT(poison_mean / static_cast<double>(poison),
            clean_mean / static_cast<double>(trace.scores.size() - static_cast<size_t>(poison)));

  const auto roc = test::run_poisonsim("roc " + dir.file("scores.h5") + " --stage sphere --json -");
  ASSERT_EQ(roc.exit_code, 0) << roc.output;
  const auto j = nlohmann::json::parse(roc.output);
  EXPECT_EQ(j["stage"], 2);
  EXPECT_EQ(j["poison_samples"], poison);
  EXPECT_EQ(j["points"].size(), 17u);  // the default: 17 thresholds spanning the scores
  EXPECT_GT(j["auc"].get<double>(), 0.5);
  const auto loss_stage = test::run_poisonsim("roc " + dir.file("scores.h5") + " --stage 1");
  EXPECT_EQ(loss_stage.exit_code, 2);
  EXPECT_NE(loss_stage.output.find("judges by the loss"), std::string::npos) << loss_stage.output;
  const auto missing = test::run_poisonsim("roc " + dir.file("scores.h5") + " --stage knn");
  EXPECT_EQ(missing.exit_code, 2);
  EXPECT_NE(missing.output.find("its stages: 1 loss-threshold, 2 sphere"), std::string::npos)
      << missing.output;
}

// Deep k-NN and the scoring sanitizers record a score for each sample they judged, with their
// own verdict; flipped labels score higher than clean samples under each of them.
TEST_F(StageScores, KnnAndSanitizersRecordTheirScoresWithTheirVerdicts) {
  if (test::fashion_mnist_dir().empty()) GTEST_SKIP() << "Fashion-MNIST not installed";
  const auto result = run("sanitizer-scores.h5",
                          "--set 'guard={type: knn, k: 10}' "
                          "--set 'sanitize=[{type: spectral}, {type: sever}, {type: trim}]'");
  ASSERT_EQ(result.exit_code, 0) << result.output;
  const TraceContents trace = read_trace(dir.file("sanitizer-scores.h5"));
  std::vector<double> retrain_times;
  for (const auto& r : trace.retrains) retrain_times.push_back(r.time);
  constexpr int kStages = 4;
  int64_t rows[kStages + 1] = {}, rejected[kStages + 1] = {};
  double sum[kStages + 1][2] = {}, count[kStages + 1][2] = {};
  for (const auto& row : trace.scores) {
    ASSERT_GE(row.stage, 1);
    ASSERT_LE(row.stage, kStages);
    const SampleRow& s = trace.samples[static_cast<size_t>(row.sample)];
    EXPECT_EQ(row.is_poison, s.is_poison);
    EXPECT_EQ(row.rejected != 0, s.rejected_by == row.stage) << "stage " << int{row.stage};
    if (row.stage > 1) {  // a sanitizer's rows carry its retrain's time
      EXPECT_TRUE(std::binary_search(retrain_times.begin(), retrain_times.end(), row.time));
    }
    ++rows[row.stage];
    rejected[row.stage] += row.rejected;
    sum[row.stage][row.is_poison] += row.score;
    count[row.stage][row.is_poison] += 1;
  }
  for (int stage = 1; stage <= kStages; ++stage) {
    EXPECT_GT(rows[stage], 0) << "stage " << stage;
    EXPECT_GT(rejected[stage], 0) << "stage " << stage;
    ASSERT_GT(count[stage][1], 0) << "stage " << stage;
    EXPECT_GT(sum[stage][1] / count[stage][1], sum[stage][0] / count[stage][0])
        << "stage " << stage;
  }
  // Every arrival meets the k-NN stage.
  EXPECT_EQ(rows[1], static_cast<int64_t>(trace.samples.size()));
}

}  // namespace
}  // namespace poisonsim
