// Real data: Fashion-MNIST as installed by Debian's dataset-fashion-mnist.
#include <gtest/gtest.h>

#include "pipeline/data/data_source.h"
#include "pipeline/data/splits.h"
#include "pipeline/model/training.h"
#include "tests/test_support.h"

namespace poisonsim {
namespace {

TEST(FashionMnist, LoadsTheInstalledFiles) {
  if (test::fashion_mnist_dir().empty()) GTEST_SKIP() << "Fashion-MNIST not installed";
  const auto data = load_data(DataSpec{});
  EXPECT_EQ(data.train.size(), 60000u);
  EXPECT_EQ(data.test.size(), 10000u);
  EXPECT_EQ(data.train.shape, (ImageShape{1, 28, 28}));
  std::vector<int> counts(10, 0);
  for (auto y : data.test.labels) ++counts[static_cast<size_t>(y)];
  for (int c : counts) EXPECT_EQ(c, 1000);  // the test set is balanced
}

TEST(FashionMnist, DefaultMlpReachesEightyPercent) {
  if (test::fashion_mnist_dir().empty()) GTEST_SKIP() << "Fashion-MNIST not installed";
  const auto data = load_data(DataSpec{});
  const auto parts = split_dataset(data.train, {{"train", -1}, {"validation", 5000}}, 1);
  auto model = TargetModel::create(default_model_for(data.train.shape, 10), 1);
  EXPECT_EQ(model.spec().describe(), "mlp 784-256-10");
  TrainOptions options;
  options.epochs = 2;
  train_model(model, parts[0], options);
  EXPECT_GE(evaluate(model, data.test).accuracy, 0.80);
  EXPECT_GE(evaluate(model, parts[1]).accuracy, 0.80);
}

}  // namespace
}  // namespace poisonsim
