// Defense stages in whole runs on real Fashion-MNIST (guards/per_sample, `guard:` as a list):
// the baselines do exactly what they say, Deep k-NN catches label flips, and a resumed run with
// every stage on equals the uninterrupted one.
#include <cmath>
#include <filesystem>
#include <string>

#include <gtest/gtest.h>

#include "pipeline/trace/checkpoint_file.h"
#include "pipeline/trace/trace_reader.h"
#include "tests/background_run.h"
#include "tests/test_support.h"
#include "tests/trace_row_fields.h"

namespace poisonsim {
namespace {

std::string quickstart() {
  return std::string(POISONSIM_SOURCE_DIR) + "/scenarios/quickstart.yaml";
}

// Label flips from 120 s (about 10% of the batches), the quickstart's stream and retraining.
const std::string kFlips =
    " --set 'attackers=[{name: flipper, type: label-flip, arrival: {rate: 0.2}, start: 120}]'";

struct DefenseRuns : ::testing::Test {
  static void SetUpTestSuite() { setenv("POISONSIM_CACHE_DIR", cache().path().c_str(), 1); }
  static test::ScratchDir& cache() {
    static test::ScratchDir dir;
    return dir;
  }
  test::CommandResult run(const std::string& trace, const std::string& extra) {
    return test::run_poisonsim("--log-level warn run " + quickstart() + " -o " + dir.file(trace) +
                               " --quiet --set duration=240" + kFlips + " " + extra);
  }
  test::ScratchDir dir;
};

struct StageCounts {
  int64_t poison = 0, clean = 0;
  int64_t poison_by[4] = {}, clean_by[4] = {};  // by rejected_by (0: accepted)
};

StageCounts count(const std::string& trace) {
  StageCounts c;
  for (const auto& s : read_trace(trace).samples) {
    EXPECT_LT(s.rejected_by, 4);
    EXPECT_EQ(s.rejected != 0, s.rejected_by != 0);
    if (s.is_poison) {
      ++c.poison;
      ++c.poison_by[s.rejected_by];
    } else {
      ++c.clean;
      ++c.clean_by[s.rejected_by];
    }
  }
  return c;
}

TEST_F(DefenseRuns, RandomThenOracleRejectTheirRateThenExactlyThePoisonLeft) {
  if (test::fashion_mnist_dir().empty()) GTEST_SKIP() << "Fashion-MNIST not installed";
  const auto result = run("chain.h5", "--set 'guard=[{type: random, rate: 0.25}, {type: oracle}]'");
  ASSERT_EQ(result.exit_code, 0) << result.output;
  const StageCounts c = count(dir.file("chain.h5"));
  ASSERT_GT(c.poison, 500);
  // The oracle lets no poison through and rejects no clean sample.
  EXPECT_EQ(c.poison_by[0], 0);
  EXPECT_EQ(c.clean_by[2], 0);
  // The random filter took a quarter of everything, poison or not (binomial bounds, 5 sd).
  const double clean_rate = static_cast<double>(c.clean_by[1]) / static_cast<double>(c.clean);
  const double poison_rate = static_cast<double>(c.poison_by[1]) / static_cast<double>(c.poison);
  EXPECT_NEAR(clean_rate, 0.25, 5 * std::sqrt(0.25 * 0.75 / static_cast<double>(c.clean)));
  EXPECT_NEAR(poison_rate, 0.25, 5 * std::sqrt(0.25 * 0.75 / static_cast<double>(c.poison)));
}

TEST_F(DefenseRuns, DeepKnnRejectsLabelFlipsAndFewCleanSamples) {
  if (test::fashion_mnist_dir().empty()) GTEST_SKIP() << "Fashion-MNIST not installed";
  const auto result = run("knn.h5", "--set 'guard={type: knn, k: 10, bank_size: 5000}'");
  ASSERT_EQ(result.exit_code, 0) << result.output;
  const StageCounts c = count(dir.file("knn.h5"));
  ASSERT_GT(c.poison, 500);
  EXPECT_GT(static_cast<double>(c.poison_by[1]) / static_cast<double>(c.poison), 0.8);
  EXPECT_LT(static_cast<double>(c.clean_by[1]) / static_cast<double>(c.clean), 0.2);
}

// Every stage's state in a checkpoint: a run with all of them, killed between checkpoints and
// resumed, writes the uninterrupted run's trace (tests/scenarios/checkpoint-stateful.yaml, whose
// attackers estimate the guard from its verdicts, so a verdict out of place would show).
TEST_F(DefenseRuns, ResumeWithEveryStageEqualsTheUninterruptedRun) {
  const std::string scenario =
      std::string(POISONSIM_SOURCE_DIR) + "/tests/scenarios/checkpoint-stateful.yaml";
  const std::string stages =
      " --set duration=1500 --set 'guard=[{type: adaptive, warmup: 50, window: 400}, "
      "{type: knn, k: 5, bank_size: 400, add_accepted: true}, {type: sphere, bank_size: 500}, "
      "{type: slab, bank_size: 500}, {type: random, rate: 0.05}, {type: oracle}]'";
  const auto command = [&](const std::string& trace, const std::string& extra) {
    return "--log-level warn run " + scenario + " -o " + dir.file(trace) + " --quiet" + stages +
           " " + extra;
  };
  const auto whole = test::run_poisonsim(command("whole.h5", ""));
  ASSERT_EQ(whole.exit_code, 0) << whole.output;

  const auto checkpoint = dir.file("killed.checkpoint");
  const auto saved_at = [&] {
    return std::filesystem::exists(checkpoint) ? read_checkpoint_file(checkpoint).time : -1.0;
  };
  test::BackgroundRun run(command("killed.h5", "--checkpoint-every 100 --checkpoint " + checkpoint),
                          dir.file("run.log"));
  ASSERT_GT(run.pid(), 0);
  ASSERT_TRUE(test::eventually([&] { return saved_at() >= 200; }))
      << test::read_text(dir.file("run.log"));
  run.signal(SIGKILL);
  ASSERT_EQ(run.wait(), 128 + SIGKILL) << "the run ended before the kill";
  const auto resumed = test::run_poisonsim("--log-level warn resume " + checkpoint + " --quiet");
  ASSERT_EQ(resumed.exit_code, 0) << resumed.output;
  test::expect_same_trace(dir.file("whole.h5"), dir.file("killed.h5"));
  // Every stage had work to do: rejections by each of the six.
  int64_t by_stage[7] = {};
  for (const auto& s : read_trace(dir.file("whole.h5")).samples) ++by_stage[s.rejected_by];
  for (int stage = 1; stage <= 6; ++stage) EXPECT_GT(by_stage[stage], 0) << "stage " << stage;
}

}  // namespace
}  // namespace poisonsim
