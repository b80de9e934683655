// Retraining policies (retrain.start, retrain.select; pipeline/simulation/retrain_policy.h): what
// a retrain starts from and which of its models it returns, and that a run using every policy
// key resumes from a checkpoint into the trace of an uninterrupted run.
#include <csignal>
#include <filesystem>
#include <limits>
#include <string>

#include <gtest/gtest.h>

#include "pipeline/model/training.h"
#include "pipeline/simulation/retrain_policy.h"
#include "pipeline/trace/checkpoint_file.h"
#include "sim/kernel/state_archive.h"
#include "tests/background_run.h"
#include "tests/test_support.h"
#include "tests/trace_row_fields.h"

namespace poisonsim {
namespace {

namespace fs = std::filesystem;

struct Policies : ::testing::Test {
  TrainTestData data = test::small_synthetic(300, 200);
  ModelSpec spec = [] {
    ModelSpec s;
    s.hidden = {16};
    return s;
  }();
  TargetModel base = TargetModel::create(spec, 1);
  TargetModel deployed = TargetModel::create(spec, 2);
  RetrainSpec retrain;
};

TEST_F(Policies, StartFromDeployedOrBase) {
  const RetrainPolicy fine_tune(retrain, base);
  const auto from_deployed = fine_tune.candidate(deployed, data.train, data.test, 7);
  EXPECT_EQ(from_deployed.weights()[0].values,
            train_copy(deployed, data.train, [&] {
              TrainOptions t = retrain.train;
              t.seed = 7;
              return t;
            }()).weights()[0].values);
  retrain.start = RetrainStart::base;
  const RetrainPolicy from_base(retrain, base);
  const auto a = from_base.candidate(deployed, data.train, data.test, 7);
  // The deployed model does not matter: every retrain starts from the same base.
  const auto b = from_base.candidate(TargetModel::create(spec, 9), data.train, data.test, 7);
  EXPECT_EQ(a.weights()[0].values, b.weights()[0].values);
  EXPECT_NE(a.weights()[0].values, from_deployed.weights()[0].values);
}

TEST_F(Policies, BestKeepsTheEpochWithTheLowestValidationLoss) {
  retrain.train.epochs = 4;
  retrain.train.learning_rate = 2.0;  // large steps: the loss goes up and down between epochs
  retrain.select = ModelSelection::best;
  std::vector<double> losses;
  auto by_hand = deployed.clone();
  TrainOptions t = retrain.train;
  t.seed = 3;
  train_model(by_hand, data.train, t, nullptr, [&](int64_t, const TargetModel& m) {
    losses.push_back(evaluate(m, data.test).mean_loss);
  });
  ASSERT_EQ(losses.size(), 4u);
  const double lowest = *std::min_element(losses.begin(), losses.end());
  const RetrainPolicy policy(retrain, base);
  const auto best = policy.candidate(deployed, data.train, data.test, 3);
  EXPECT_DOUBLE_EQ(evaluate(best, data.test).mean_loss, lowest);
  EXPECT_LE(lowest, losses.back());
}

TEST_F(Policies, CheckpointsCarryTheBaseModel) {
  retrain.start = RetrainStart::base;
  const RetrainPolicy saved(retrain, base);
  StateOut out;
  saved.save_state(out);
  RetrainPolicy restored(retrain, TargetModel::create(spec, 5));  // as a resumed run builds it
  StateIn in(out.bytes(), "checkpoint");
  restored.load_state(in);
  in.expect_end();
  EXPECT_EQ(restored.candidate(deployed, data.train, data.test, 4).weights()[1].values,
            saved.candidate(deployed, data.train, data.test, 4).weights()[1].values);
  // A fine-tuning policy adds nothing to a checkpoint (older checkpoints keep their layout).
  StateOut none, untouched;
  RetrainPolicy(RetrainSpec{}, base).save_state(none);
  EXPECT_EQ(none.bytes(), untouched.bytes());
}

// The checkpoint tests' stateful scenario with every policy key away from its default.
const std::string kPolicyRun =
    "--log-level warn run " + std::string(POISONSIM_SOURCE_DIR) +
    "/tests/scenarios/checkpoint-stateful.yaml --quiet --set duration=1500 "
    "--set retrain.start=base --set retrain.select=best --set retrain.epochs=2 "
    "--set retrain.lr_schedule=cosine --set retrain.warmup=0.1 "
    "--set retrain.buffer.clear_after_retrain=false --set retrain.buffer.keep_windows=3 "
    "--set retrain.buffer.capacity=5000 ";

TEST(PolicyRuns, ARunKilledAfterACheckpointResumesToTheUninterruptedTrace) {
  test::ScratchDir dir;
  setenv("POISONSIM_CACHE_DIR", dir.file("cache").c_str(), 1);
  const auto reference = dir.file("uninterrupted.h5");
  const auto run = test::run_poisonsim(kPolicyRun + "-o " + reference);
  ASSERT_EQ(run.exit_code, 0) << run.output;
  const auto trace = dir.file("killed.h5");
  const auto checkpoint = dir.file("killed.checkpoint");
  test::BackgroundRun killed(
      kPolicyRun + "-o " + trace + " --checkpoint-every 100 --checkpoint " + checkpoint,
      dir.file("run.log"));
  ASSERT_GT(killed.pid(), 0);
  ASSERT_TRUE(test::eventually([&] {
    return fs::exists(checkpoint) && read_checkpoint_file(checkpoint).time >= 200;
  })) << test::read_text(dir.file("run.log"));
  killed.signal(SIGKILL);
  ASSERT_EQ(killed.wait(), 128 + SIGKILL) << "the run ended before the kill";
  const auto resumed = test::run_poisonsim("--log-level warn resume " + checkpoint + " --quiet");
  ASSERT_EQ(resumed.exit_code, 0) << resumed.output;
  test::expect_same_trace(reference, trace);
  // The keys took effect: the buffer grows over the first windows and then slides.
  const auto rows = read_trace(reference).retrains;
  ASSERT_GE(rows.size(), 10u);
  EXPECT_GT(rows[2].buffer_size, rows[0].buffer_size * 2);
  EXPECT_LT(rows[9].buffer_size, rows[2].buffer_size * 3 / 2);
}

}  // namespace
}  // namespace poisonsim
