// Learning-rate schedules and iterate averaging (retrain.lr_schedule, warmup, select: average),
// checked against the same steps taken one at a time by hand.
#include <cmath>
#include <numeric>

#include <gtest/gtest.h>

#include "pipeline/model/training.h"
#include "sim/kernel/random_stream.h"
#include "tests/test_support.h"

namespace poisonsim {
namespace {

TEST(LearningRateSchedule, WarmupThenDecay) {
  TrainOptions o;
  o.learning_rate = 0.1;
  EXPECT_DOUBLE_EQ(scheduled_learning_rate(o, 0, 10), 0.1);
  EXPECT_DOUBLE_EQ(scheduled_learning_rate(o, 9, 10), 0.1);
  o.schedule = LrSchedule::linear;
  EXPECT_DOUBLE_EQ(scheduled_learning_rate(o, 0, 10), 0.1);
  EXPECT_NEAR(scheduled_learning_rate(o, 9, 10), 0.01, 1e-15);  // lr/steps at the last step
  o.schedule = LrSchedule::cosine;
  EXPECT_DOUBLE_EQ(scheduled_learning_rate(o, 0, 10), 0.1);
  EXPECT_NEAR(scheduled_learning_rate(o, 5, 10), 0.05, 1e-15);
  EXPECT_GT(scheduled_learning_rate(o, 9, 10), 0);
  EXPECT_LT(scheduled_learning_rate(o, 9, 10), 0.003);
  o.warmup = 0.4;  // 4 of 10 steps rise to lr, then the cosine runs over the other 6
  EXPECT_NEAR(scheduled_learning_rate(o, 0, 10), 0.025, 1e-15);
  EXPECT_NEAR(scheduled_learning_rate(o, 3, 10), 0.1, 1e-15);
  EXPECT_NEAR(scheduled_learning_rate(o, 4, 10), 0.1, 1e-15);
  EXPECT_NEAR(scheduled_learning_rate(o, 7, 10), 0.05, 1e-15);
}

TEST(LearningRateSchedule, WarmupIsValidated) {
  TrainOptions o;
  o.warmup = 1;
  test::expect_user_error([&] { o.validate("retrain"); }, "retrain.warmup", "[0, 1)");
}

ModelSpec small_mlp() {
  ModelSpec spec;
  spec.hidden = {16};
  return spec;
}

// Two samples, batch 1: two steps, in the order train_model's shuffle puts them.
struct TwoSteps {
  Dataset both, first, second;
  TargetModel start = TargetModel::create(small_mlp(), 3);
  TrainOptions options;

  TwoSteps() {
    const auto data = test::small_synthetic(2, 1);
    both = data.train;
    options.batch_size = 1;
    options.seed = 5;
    std::vector<size_t> order{0, 1};
    RandomStream(options.seed, "train/shuffle").shuffle(order.begin(), order.end());
    first = both.subset({order[0]});
    second = both.subset({order[1]});
  }
  // One step on `sample` from `model` with learning rate `lr`.
  TargetModel step(const TargetModel& model, const Dataset& sample, double lr) const {
    TrainOptions one = options;
    one.learning_rate = lr;
    return train_copy(model, sample, one);
  }
};

std::vector<float> flat(const TargetModel& model) {
  std::vector<float> out;
  for (const auto& w : model.weights()) out.insert(out.end(), w.values.begin(), w.values.end());
  return out;
}

TEST(LearningRateSchedule, TrainingTakesEachStepAtItsScheduledRate) {
  TwoSteps t;
  t.options.schedule = LrSchedule::cosine;  // steps at lr, then lr/2
  const auto scheduled = train_copy(t.start, t.both, t.options);
  const auto by_hand = t.step(t.step(t.start, t.first, 0.1), t.second, 0.05);
  const auto a = flat(scheduled), b = flat(by_hand);
  ASSERT_EQ(a.size(), b.size());
  for (size_t i = 0; i < a.size(); ++i) ASSERT_NEAR(a[i], b[i], 1e-6) << i;
  EXPECT_NE(flat(train_copy(t.start, t.both, TwoSteps{}.options)), a);  // constant differs
}

TEST(IterateAveraging, ReturnsTheMeanOfTheLastEpochsIterates) {
  TwoSteps t;
  const auto one = t.step(t.start, t.first, 0.1);
  const auto two = t.step(one, t.second, 0.1);
  t.options.average_last_epoch = true;
  const auto averaged = train_copy(t.start, t.both, t.options);
  const auto a = flat(averaged), w1 = flat(one), w2 = flat(two);
  double moved = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    ASSERT_NEAR(a[i], (w1[i] + w2[i]) / 2, 1e-6) << i;
    moved += std::abs(w1[i] - w2[i]);
  }
  EXPECT_GT(moved, 1e-3);  // the two iterates differ, so the mean is not either
  // Over two epochs only the second one's iterates count.
  t.options.epochs = 2;
  const auto after_two = flat(train_copy(t.start, t.both, t.options));
  EXPECT_NE(after_two, a);
}

}  // namespace
}  // namespace poisonsim
