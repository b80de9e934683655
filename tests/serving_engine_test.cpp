// The oneDNN serving engine against the LibTorch model it serves: same logits, losses and
// predictions, for every batch size and after weights are re-exported.
#include <algorithm>
#include <cmath>
#include <random>
#include <thread>

#include <gtest/gtest.h>

#include "pipeline/model/torch_model.h"
#include "pipeline/model/training.h"
#include "pipeline/serving/serving_engine.h"
#include "tests/test_support.h"

namespace poisonsim {
namespace {

constexpr double kF32Tolerance = 1e-4;

ModelSpec mlp(std::vector<int64_t> hidden) {
  ModelSpec spec;
  spec.hidden = std::move(hidden);
  return spec;
}

ModelSpec cnn(ImageShape input, std::vector<int64_t> conv, std::vector<int64_t> hidden,
              int64_t kernel = 3) {
  ModelSpec spec;
  spec.kind = ModelKind::cnn;
  spec.input = input;
  spec.conv_channels = std::move(conv);
  spec.hidden = std::move(hidden);
  spec.kernel_size = kernel;
  return spec;
}

// The specs every equivalence test runs on. The last one has odd pooled sizes (28 -> 14 -> 7 ->
// 3, floor as torch), a 5x5 kernel and no hidden layer.
std::vector<ModelSpec> specs() {
  return {mlp({256}), mlp({64, 32}), cnn({3, 32, 32}, {8, 16}, {32}),
          cnn({1, 28, 28}, {6, 12, 12}, {}, 5)};
}

Dataset random_batch(const ModelSpec& spec, int64_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> pixel(0.0f, 1.0f);
  std::uniform_int_distribution<int64_t> label(0, spec.num_classes - 1);
  Dataset data;
  data.name = "random";
  data.shape = spec.input;
  data.num_classes = spec.num_classes;
  data.pixels.resize(static_cast<size_t>(n * spec.input.numel()));
  for (auto& p : data.pixels) p = pixel(rng);
  for (int64_t i = 0; i < n; ++i) data.labels.push_back(label(rng));
  return data;
}

std::vector<float> torch_logits(const TargetModel& model, const Dataset& data) {
  torch::NoGradGuard no_grad;
  const auto logits = model.impl().forward(images_tensor(data)).contiguous();
  return {logits.data_ptr<float>(), logits.data_ptr<float>() + logits.numel()};
}

double max_abs_diff(const std::vector<float>& a, const std::vector<float>& b) {
  EXPECT_EQ(a.size(), b.size());
  double worst = 0;
  for (size_t i = 0; i < std::min(a.size(), b.size()); ++i)
    worst = std::max(worst, std::abs(static_cast<double>(a[i]) - b[i]));
  return worst;
}

// Logits, losses and predictions agree with LibTorch; a prediction is only checked where torch's
// top two logits are further apart than the tolerance (a near tie may go either way).
void expect_matches(const ServingEngine& engine, const TargetModel& model, const Dataset& data) {
  const auto n = static_cast<int64_t>(data.size());
  const auto scores = engine.score(data.pixels.data(), data.labels.data(), n);
  const auto expected = torch_logits(model, data);
  const auto reference = score_samples(model, data);
  EXPECT_LE(max_abs_diff(scores.logits, expected), kF32Tolerance) << "batch " << n;
  EXPECT_LE(max_abs_diff(scores.loss, reference.loss), kF32Tolerance) << "batch " << n;
  ASSERT_EQ(scores.prediction.size(), data.size());
  const int64_t classes = model.spec().num_classes;
  for (int64_t i = 0; i < n; ++i) {
    std::vector<float> row(expected.begin() + i * classes, expected.begin() + (i + 1) * classes);
    std::partial_sort(row.begin(), row.begin() + 2, row.end(), std::greater<float>());
    if (row[0] - row[1] > kF32Tolerance) {
      EXPECT_EQ(scores.prediction[i], reference.prediction[i]) << "sample " << i;
    }
  }
}

TEST(ServingEngine, MatchesLibTorchForEveryBatchSize) {
  for (const auto& spec : specs()) {
    SCOPED_TRACE(spec.describe());
    const auto model = TargetModel::create(spec, 11);
    ServingEngine engine(spec);
    engine.load_weights(model.weights());
    // 7 twice and after 256: a cached chain and its reused workspace give the same answer.
    for (int64_t n : {1, 7, 256, 7}) expect_matches(engine, model, random_batch(spec, n, 100 + n));
  }
}

TEST(ServingEngine, WithoutLabelsLossIsEmpty) {
  const auto spec = mlp({256});
  const auto model = TargetModel::create(spec, 2);
  ServingEngine engine(spec);
  engine.load_weights(model.weights());
  const auto data = random_batch(spec, 5, 3);
  const auto scores = engine.score(data.pixels.data(), nullptr, 5);
  EXPECT_TRUE(scores.loss.empty());
  EXPECT_EQ(scores.prediction.size(), 5u);
  EXPECT_LE(max_abs_diff(scores.logits, torch_logits(model, data)), kF32Tolerance);
  EXPECT_TRUE(engine.score(data.pixels.data(), nullptr, 0).logits.empty());
}

// The retrain loop: the same engine, with chains already built, takes the retrained weights.
TEST(ServingEngine, ReloadedWeightsMatchTheRetrainedModel) {
  for (const auto& spec : {mlp({64, 32}), cnn({1, 28, 28}, {4, 8}, {16})}) {
    SCOPED_TRACE(spec.describe());
    auto model = TargetModel::create(spec, 5);
    ServingEngine engine(spec);
    engine.load_weights(model.weights());
    const auto batch = random_batch(spec, 7, 9);
    const auto before = engine.score(batch.pixels.data(), batch.labels.data(), 7);
    expect_matches(engine, model, random_batch(spec, 256, 10));

    const auto data = test::small_synthetic(200, 10, spec.input);
    TrainOptions options;
    options.learning_rate = 0.05;
    train_model(model, data.train, options);
    engine.load_weights(model.weights());
    EXPECT_GT(max_abs_diff(engine.score(batch.pixels.data(), nullptr, 7).logits, before.logits),
              1e-3);
    for (int64_t n : {7, 256, 1}) expect_matches(engine, model, random_batch(spec, n, 20 + n));
  }
}

TEST(ServingEngine, PerturbedWeightsReachEveryCachedBatchSize) {
  const auto spec = cnn({3, 32, 32}, {8, 16}, {32});
  auto model = TargetModel::create(spec, 6);
  ServingEngine engine(spec);
  engine.load_weights(model.weights());
  for (int64_t n : {1, 7, 256}) engine.score(random_batch(spec, n, 1).pixels.data(), nullptr, n);
  auto weights = model.weights();
  std::mt19937 rng(4);
  std::normal_distribution<float> noise(0.0f, 0.05f);
  for (auto& tensor : weights)
    for (auto& v : tensor.values) v += noise(rng);
  model.set_weights(weights);
  engine.load_weights(weights);
  for (int64_t n : {1, 7, 256}) expect_matches(engine, model, random_batch(spec, n, 30 + n));
}

TEST(ServingEngine, ConcurrentCallsAgreeWithSerialOnes) {
  const auto spec = cnn({3, 32, 32}, {8, 16}, {32});
  const auto model = TargetModel::create(spec, 8);
  ServingEngine engine(spec);
  engine.load_weights(model.weights());
  std::vector<Dataset> batches;
  std::vector<BatchScores> serial;
  for (int i = 0; i < 4; ++i) {
    batches.push_back(random_batch(spec, i % 2 ? 33 : 64, 40 + i));
    const auto& b = batches.back();
    serial.push_back(
        engine.score(b.pixels.data(), b.labels.data(), static_cast<int64_t>(b.size())));
  }
  std::vector<BatchScores> parallel(batches.size());
  std::vector<std::thread> threads;
  for (size_t i = 0; i < batches.size(); ++i) {
    threads.emplace_back([&, i] {
      for (int repeat = 0; repeat < 3; ++repeat)
        parallel[i] = engine.score(batches[i].pixels.data(), batches[i].labels.data(),
                                   static_cast<int64_t>(batches[i].size()));
    });
  }
  for (auto& t : threads) t.join();
  for (size_t i = 0; i < batches.size(); ++i) {
    EXPECT_EQ(parallel[i].logits, serial[i].logits) << "batch " << i;
    EXPECT_EQ(parallel[i].loss, serial[i].loss) << "batch " << i;
  }
}

TEST(ServingEngine, Bf16IsCloseToF32) {
  if (!ServingEngine::bf16_supported()) GTEST_SKIP() << "no bf16 support on this CPU";
  for (const auto& spec : {mlp({256}), cnn({3, 32, 32}, {8, 16}, {32})}) {
    SCOPED_TRACE(spec.describe());
    const auto model = TargetModel::create(spec, 12);
    ServingEngine engine(spec, ServingPrecision::bf16);
    EXPECT_EQ(engine.precision(), ServingPrecision::bf16);
    engine.load_weights(model.weights());
    for (int64_t n : {7, 256}) {
      const auto data = random_batch(spec, n, 50 + n);
      const auto scores = engine.score(data.pixels.data(), data.labels.data(), n);
      const auto reference = score_samples(model, data);
      EXPECT_LE(max_abs_diff(scores.logits, torch_logits(model, data)), 0.1);
      EXPECT_LE(max_abs_diff(scores.loss, reference.loss), 0.1);
      int64_t agree = 0;
      for (int64_t i = 0; i < n; ++i) agree += scores.prediction[i] == reference.prediction[i];
      EXPECT_GE(static_cast<double>(agree), 0.95 * n);
    }
  }
}

TEST(ServingEngine, RejectsTorchScriptModels) {
  ModelSpec spec;
  spec.kind = ModelKind::torchscript;
  spec.torchscript_path = "model.pt";
  test::expect_user_error([&] { ServingEngine engine(spec); }, "serving", "mlp and cnn");
}

TEST(ServingEngine, RejectsWeightsOfAnotherModel) {
  const auto spec = mlp({64, 32});
  ServingEngine engine(spec);
  const auto data = random_batch(spec, 2, 1);
  EXPECT_THROW(engine.score(data.pixels.data(), nullptr, 2), std::logic_error);

  auto weights = TargetModel::create(spec, 1).weights();
  auto missing = weights;
  missing.pop_back();
  EXPECT_THROW(engine.load_weights(missing), std::invalid_argument);
  EXPECT_THROW(engine.load_weights(TargetModel::create(mlp({64}), 1).weights()),
               std::invalid_argument);
  auto short_values = weights;
  short_values[2].values.pop_back();
  EXPECT_THROW(engine.load_weights(short_values), std::invalid_argument);

  engine.load_weights(weights);
  std::vector<int64_t> bad_labels{0, 10};
  EXPECT_THROW(engine.score(data.pixels.data(), bad_labels.data(), 2), std::invalid_argument);
}

}  // namespace
}  // namespace poisonsim
