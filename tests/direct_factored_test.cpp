// The direct method's factored engine: its hand-written gradient against autograd's double
// backward, the poison of both engines, and how an engine is chosen (auto) or refused.
#include <algorithm>
#include <cmath>
#include <string>

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <torch/torch.h>

#include "attackers/direct/factored_torch.h"
#include "attackers/direct/direct_gradient.h"
#include "attackers/direct/direct_gradient_torch.h"
#include "attackers/common/seed_samples.h"
#include "pipeline/data/data_source.h"
#include "pipeline/data/splits.h"
#include "pipeline/runtime/compute_threads.h"
#include "pipeline/model/torch_model.h"
#include "pipeline/model/training.h"
#include "sim/kernel/random_stream.h"
#include "tests/attacker_block.h"
#include "tests/test_support.h"

namespace poisonsim {
namespace {

double relative_error(const torch::Tensor& a, const torch::Tensor& b) {
  return (a - b).norm().item<double>() / b.norm().item<double>();
}

// Loss, accuracy and dL_val/dx_p of both engines in float64, one group of `group` samples.
void compare_engines(const ModelSpec& spec, int64_t group) {
  torch::manual_seed(static_cast<uint64_t>(7 + group));
  const auto model = TargetModel::create(spec, 3);
  // Larger weights than the initial ones, so the curvature the gradient runs through matters.
  std::vector<torch::Tensor> params;
  for (const auto& p : model.impl().params)
    params.push_back(p.detach().to(torch::kFloat64).mul(3).requires_grad_(true));
  const auto& in = spec.input;
  const auto poison = torch::rand({group, in.channels, in.height, in.width}, torch::kFloat64);
  const auto poison_labels = torch::randint(spec.num_classes, {group}, torch::kInt64);
  const auto val = torch::rand({40, in.channels, in.height, in.width}, torch::kFloat64);
  const auto val_labels = torch::randint(spec.num_classes, {40}, torch::kInt64);
  const double lr = 0.5;

  const auto x = poison.clone().requires_grad_(true);
  const auto reference =
      direct_objective(spec, params, x, poison_labels, val, val_labels, lr, 1, true);
  FactoredMlpObjective factored(spec, params, val, val_labels, lr);
  const auto fast = factored.evaluate(poison, poison_labels, true);
  const std::string what = spec.describe() + " group " + std::to_string(group);
  ASSERT_TRUE(fast.grad.defined()) << what;
  ASSERT_EQ(fast.grad.sizes(), poison.sizes()) << what;
  EXPECT_EQ(fast.grad.scalar_type(), torch::kFloat64);
  EXPECT_NEAR(fast.loss, reference.loss, 1e-12 * std::max(1.0, reference.loss)) << what;
  EXPECT_EQ(fast.accuracy, reference.accuracy) << what;
  EXPECT_GT(reference.grad.norm().item<double>(), 1e-6) << what;  // not zero against zero
  const double error = relative_error(fast.grad, reference.grad);
  EXPECT_LT(error, 1e-6) << what;
  ::testing::Test::RecordProperty(
      "gradient_error_" + spec.describe() + "_g" + std::to_string(group),
      fmt::format("{:.2e}", error));
  // Without the gradient, and again with it: buffers reused for the same group size.
  const auto value_only = factored.evaluate(poison, poison_labels, false);
  EXPECT_FALSE(value_only.grad.defined());
  EXPECT_EQ(value_only.loss, fast.loss);
  EXPECT_EQ(factored.evaluate(poison, poison_labels, true).grad.equal(fast.grad), true) << what;
}

TEST(DirectFactored, GradientEqualsAutogradInFloat64) {
  ModelSpec one_hidden;
  one_hidden.input = {1, 3, 4};
  one_hidden.hidden = {6};
  one_hidden.num_classes = 3;
  ModelSpec two_hidden = one_hidden;
  two_hidden.hidden = {7, 5};
  two_hidden.num_classes = 4;
  ModelSpec linear = one_hidden;  // no hidden layer: logistic regression
  linear.hidden = {};
  ModelSpec colour = one_hidden;  // widths past one vector register plus a remainder
  colour.input = {3, 4, 4};
  colour.hidden = {20};
  // One hidden layer: groups up to 3 take the fused row kernel, 5 the BLAS products.
  for (const auto& spec : {one_hidden, two_hidden, linear, colour})
    for (int64_t group : {1, 3, 5}) compare_engines(spec, group);
}

TEST(DirectFactored, GroupSizeChangesBetweenCalls) {
  ModelSpec spec;
  spec.input = {1, 2, 3};
  spec.hidden = {4};
  spec.num_classes = 3;
  const auto model = TargetModel::create(spec, 2);
  std::vector<torch::Tensor> params;
  for (const auto& p : model.impl().params)
    params.push_back(p.detach().to(torch::kFloat64).requires_grad_(true));
  const auto val = torch::rand({10, 1, 2, 3}, torch::kFloat64);
  const auto val_labels = torch::randint(3, {10}, torch::kInt64);
  FactoredMlpObjective factored(spec, params, val, val_labels, 0.3);
  for (int64_t group : {4, 1, 4}) {
    const auto poison = torch::rand({group, 1, 2, 3}, torch::kFloat64);
    const auto labels = torch::randint(3, {group}, torch::kInt64);
    const auto x = poison.clone().requires_grad_(true);
    const auto reference = direct_objective(spec, params, x, labels, val, val_labels, 0.3, 1, true);
    EXPECT_LT(relative_error(factored.evaluate(poison, labels, true).grad, reference.grad), 1e-9);
  }
}

struct Task {
  TrainTestData data;
  TargetModel model;
};

Task small_task(const ModelSpec& spec) {
  auto data = test::small_synthetic(600, 200, spec.input);
  auto model = TargetModel::create(spec, 1);
  TrainOptions options;
  options.epochs = 3;
  train_model(model, data.train, options);
  return {std::move(data), std::move(model)};
}

ModelSpec small_mlp() {
  ModelSpec spec = default_model_for({1, 12, 12}, 10);
  spec.hidden = {32};
  return spec;
}

DirectOptions options_with(DirectEngine engine) {
  DirectOptions options;
  options.group_size = 5;
  options.iterations = 8;
  options.step_size = 0.5;
  options.validation_samples = 100;
  options.engine = engine;
  return options;
}

PoisonBatch attack(const Task& task, const Dataset& seeds, const DirectOptions& options,
                   DirectReport& report) {
  RandomStream rng(1);
  return direct_gradient_attack({task.model, task.data.test, 0.5}, seeds, options, rng, &report);
}

// Float32 as the attacker runs: the same poison from both engines, pixel by pixel.
void expect_same_poison(const Task& task, const Dataset& seeds, DirectOptions options) {
  DirectReport fast_report;
  DirectReport slow_report;
  options.engine = DirectEngine::factored;
  const auto fast = attack(task, seeds, options, fast_report);
  options.engine = DirectEngine::autograd;
  const auto slow = attack(task, seeds, options, slow_report);
  EXPECT_EQ(fast_report.engine, DirectEngine::factored);
  EXPECT_EQ(slow_report.engine, DirectEngine::autograd);
  ASSERT_EQ(fast.samples.pixels.size(), slow.samples.pixels.size());
  float worst = 0;
  for (size_t i = 0; i < fast.samples.pixels.size(); ++i)
    worst = std::max(worst, std::abs(fast.samples.pixels[i] - slow.samples.pixels[i]));
  EXPECT_LT(worst, 1e-3f);
  ::testing::Test::RecordProperty("worst_pixel_difference", fmt::format("{:.2e}", worst));
  EXPECT_EQ(fast.samples.labels, slow.samples.labels);
  ASSERT_EQ(fast_report.objective_by_iteration.size(), slow_report.objective_by_iteration.size());
  for (size_t i = 0; i < fast_report.objective_by_iteration.size(); ++i)
    EXPECT_NEAR(fast_report.objective_by_iteration[i], slow_report.objective_by_iteration[i],
                1e-4 * slow_report.objective_by_iteration[i]);
  // The ascent did something: the poison moved and the objective rose.
  EXPECT_GT(fast_report.objective_by_iteration.back(), fast_report.objective_by_iteration.front());
  EXPECT_NE(fast.samples.pixels, seeds.pixels);
}

TEST(DirectFactored, BothEnginesMakeTheSamePoison) {
  const auto task = small_task(small_mlp());
  RandomStream seed_rng(5);
  // Groups 5, 5, 2: BLAS products for the first two, the fused row kernel for the last.
  const auto seeds = draw_seed_samples(task.data.train, 12, seed_rng);
  expect_same_poison(task, seeds, options_with(DirectEngine::auto_select));
}

TEST(DirectFactored, BothEnginesMakeTheSamePoisonOnFashionMnist) {
  if (test::fashion_mnist_dir().empty()) GTEST_SKIP() << "Fashion-MNIST not installed";
  configure_compute_threads(1);
  const auto data = load_data(DataSpec{});
  const auto parts = split_dataset(data.train, {{"train", 5000}, {"validation", 500}}, 1);
  Task task{{parts[0], parts[1]}, TargetModel::create(default_model_for(data.train.shape, 10), 1)};
  TrainOptions train;
  train.epochs = 1;
  train_model(task.model, parts[0], train);
  RandomStream seed_rng(6);
  const auto seeds = draw_seed_samples(parts[0], 20, seed_rng);
  auto options = options_with(DirectEngine::auto_select);
  options.group_size = 3;  // groups 3, ..., 3, 2: the fused kernel (BLAS path: the test above)
  options.iterations = 10;
  options.step_size = 1.0;
  options.validation_samples = 500;
  expect_same_poison(task, seeds, options);
}

// In float32 on a trained Fashion-MNIST MLP both engines carry rounding error (the validation
// rows' contributions cancel to a small gradient); the factored one is no further from the
// float64 gradient than autograd's own float32 result, for the fused kernel and BLAS products.
TEST(DirectFactored, Float32GradientIsAsAccurateAsAutogradsOnFashionMnist) {
  if (test::fashion_mnist_dir().empty()) GTEST_SKIP() << "Fashion-MNIST not installed";
  configure_compute_threads(1);
  const auto data = load_data(DataSpec{});
  const auto parts = split_dataset(data.train, {{"train", 5000}, {"validation", 1000}}, 1);
  const ModelSpec spec = default_model_for(data.train.shape, 10);
  auto model = TargetModel::create(spec, 1);
  TrainOptions train;
  train.epochs = 2;
  train_model(model, parts[0], train);
  const auto val = images_tensor(parts[1]);
  const auto val_labels = labels_tensor(parts[1]);
  std::vector<torch::Tensor> params32, params64;
  for (const auto& p : model.impl().params) {
    params32.push_back(p.detach().requires_grad_(true));
    params64.push_back(p.detach().to(torch::kFloat64).requires_grad_(true));
  }
  FactoredMlpObjective factored(spec, params32, val, val_labels, 0.1);
  for (int64_t group : {2, 10}) {
    const auto poison = images_tensor(parts[0]).narrow(0, 0, group).clone();
    const auto labels = labels_tensor(parts[0]).narrow(0, 0, group);
    auto autograd_of = [&](const std::vector<torch::Tensor>& params, const torch::Tensor& x,
                           const torch::Tensor& v) {
      return direct_objective(spec, params, x.clone().requires_grad_(true), labels, v, val_labels,
                              0.1, 1, true)
          .grad;
    };
    const auto truth = autograd_of(params64, poison.to(torch::kFloat64), val.to(torch::kFloat64));
    const double autograd_error =
        relative_error(autograd_of(params32, poison, val).to(torch::kFloat64), truth);
    const double factored_error =
        relative_error(factored.evaluate(poison, labels, true).grad.to(torch::kFloat64), truth);
    ::testing::Test::RecordProperty(
        fmt::format("float32_error_g{}", group),
        fmt::format("factored {:.2e}, autograd {:.2e}", factored_error, autograd_error));
    EXPECT_LT(factored_error, 3 * autograd_error + 1e-5) << "group " << group;
  }
}

TEST(DirectFactored, AutoPicksFactoredWhereItIsExact) {
  const auto task = small_task(small_mlp());
  RandomStream seed_rng(7);
  const auto seeds = draw_seed_samples(task.data.train, 4, seed_rng);
  auto engine_of = [&](DirectOptions options) {
    options.iterations = 1;
    DirectReport report;
    attack(task, seeds, options, report);
    return report.engine;
  };
  auto options = options_with(DirectEngine::auto_select);
  EXPECT_EQ(engine_of(options), DirectEngine::factored);
  options.unroll_steps = 2;  // two SGD steps per group: only autograd is exact
  EXPECT_EQ(engine_of(options), DirectEngine::autograd);
  options.group_size = 1;  // one sample per group: one step whatever unroll_steps says
  EXPECT_EQ(engine_of(options), DirectEngine::factored);
  options.engine = DirectEngine::autograd;
  EXPECT_EQ(engine_of(options), DirectEngine::autograd);

  options.group_size = 4;
  options.engine = DirectEngine::factored;
  test::expect_user_error([&] { engine_of(options); }, "attacker.engine", "unroll_steps: 1");
}

TEST(DirectFactored, CnnTargetFallsBackOrRefuses) {
  ModelSpec spec;
  spec.kind = ModelKind::cnn;
  spec.input = {1, 8, 8};
  spec.conv_channels = {2};
  spec.hidden = {8};
  const auto task = small_task(spec);
  RandomStream seed_rng(8);
  const auto seeds = draw_seed_samples(task.data.train, 3, seed_rng);
  auto options = options_with(DirectEngine::auto_select);
  options.iterations = 2;
  DirectReport report;
  EXPECT_EQ(attack(task, seeds, options, report).samples.size(), 3u);
  EXPECT_EQ(report.engine, DirectEngine::autograd);
  options.engine = DirectEngine::factored;
  test::expect_user_error([&] { attack(task, seeds, options, report); }, "attacker.engine",
                          "factored needs an mlp target, this one is cnn");
}

TEST(DirectFactored, EngineKeyIsReadAndChecked) {
  auto parse = [](const std::string& yaml) { return test::parse_attacker_block("direct", yaml); };
  EXPECT_NO_THROW(parse("{engine: autograd, unroll_steps: 3}"));
  EXPECT_NO_THROW(parse("{engine: auto, unroll_steps: 3}"));
  EXPECT_NO_THROW(parse("{engine: factored, unroll_steps: 3, group_size: 1}"));
  test::expect_user_error([&] { parse("{engine: fast}"); }, "attackers.0.engine",
                          "expected one of auto");
  test::expect_user_error([&] { parse("{engine: factored, unroll_steps: 2}"); },
                          "attackers.0.engine", "unroll_steps: 1");
  DirectOptions options;
  options.engine = DirectEngine::factored;
  options.unroll_steps = 2;
  // Built in code rather than read from a scenario, the conflict is still named.
  EXPECT_NE(factored_settings_conflict(options).find("one SGD step per group"), std::string::npos);
  test::expect_user_error([&] { parse_direct_engine("gpu", "engine"); }, "engine",
                          "expected auto, factored or autograd");
  for (auto engine : {DirectEngine::auto_select, DirectEngine::factored, DirectEngine::autograd})
    EXPECT_EQ(parse_direct_engine(to_string(engine), "engine"), engine);
}

}  // namespace
}  // namespace poisonsim
