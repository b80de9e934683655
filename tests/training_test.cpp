#include "pipeline/model/training.h"

#include <gtest/gtest.h>

#include "tests/test_support.h"

namespace poisonsim {
namespace {

TEST(Training, LearnsTheSyntheticTaskMlpAndCnn) {
  for (auto kind : {ModelKind::mlp, ModelKind::cnn}) {
    const ImageShape shape = kind == ModelKind::mlp ? ImageShape{1, 28, 28} : ImageShape{3, 16, 16};
    const auto data = test::small_synthetic(1000, 300, shape);
    ModelSpec spec = default_model_for(shape, 10);
    spec.kind = kind;
    spec.conv_channels = {8, 16};
    spec.hidden = {64};
    auto model = TargetModel::create(spec, 1);
    const auto before = evaluate(model, data.test);
    TrainOptions options;
    options.epochs = 3;
    const auto report = train_model(model, data.train, options);
    const auto after = evaluate(model, data.test);
    EXPECT_EQ(report.samples_seen, 3000);
    EXPECT_LT(before.accuracy, 0.3);
    EXPECT_GT(after.accuracy, 0.9) << to_string(kind);
    EXPECT_LT(after.mean_loss, before.mean_loss);
  }
}

TEST(Training, SameSeedGivesSameWeightsOtherSeedDiffers) {
  const auto data = test::small_synthetic(300, 50);
  ModelSpec spec;
  spec.hidden = {16};
  auto train_with = [&](uint64_t seed) {
    auto model = TargetModel::create(spec, 1);
    TrainOptions options;
    options.seed = seed;
    options.momentum = 0.5;
    train_model(model, data.train, options);
    return model.weights()[0].values;
  };
  EXPECT_EQ(train_with(1), train_with(1));
  EXPECT_NE(train_with(1), train_with(2));
}

TEST(Training, TrainCopyLeavesTheDeployedModelAndTrainsTheCopy) {
  const auto data = test::small_synthetic(200, 50);
  ModelSpec spec;
  spec.hidden = {16};
  const auto deployed = TargetModel::create(spec, 4);
  const auto before = deployed.weights()[0].values;
  TrainOptions options;
  options.seed = 9;
  const auto copy = train_copy(deployed, data.train, options);
  EXPECT_EQ(deployed.weights()[0].values, before);
  auto by_hand = deployed.clone();
  train_model(by_hand, data.train, options);
  EXPECT_EQ(copy.weights()[0].values, by_hand.weights()[0].values);
  EXPECT_NE(copy.weights()[0].values, before);
}

TEST(Training, ScoresAgreeWithEvaluation) {
  const auto data = test::small_synthetic(100, 100);
  const auto model = TargetModel::create(ModelSpec{}, 2);
  const auto scores = score_samples(model, data.test);
  const auto eval = evaluate(model, data.test);
  double sum = 0;
  int correct = 0;
  for (size_t i = 0; i < data.test.size(); ++i) {
    EXPECT_GT(scores.loss[i], 0.0f);
    sum += scores.loss[i];
    correct += scores.prediction[i] == data.test.labels[i];
  }
  EXPECT_NEAR(sum / 100.0, eval.mean_loss, 1e-6);
  EXPECT_DOUBLE_EQ(correct / 100.0, eval.accuracy);
}

TEST(Training, OptionsAreValidated) {
  TrainOptions options;
  options.learning_rate = 0;
  test::expect_user_error([&] { options.validate("pretrain"); }, "pretrain.lr", "(0, 100]");
  options = TrainOptions{};
  options.batch_size = 0;
  test::expect_user_error([&] { options.validate("pretrain"); }, "pretrain.batch_size", "1 to");
}

}  // namespace
}  // namespace poisonsim
