// The direct gradient attack: its second-order gradient, the ascent, and its effect on real data.
#include "attackers/direct/direct_gradient.h"

#include <algorithm>
#include <cmath>
#include <string>

#include <gtest/gtest.h>
#include <torch/torch.h>
#include <yaml-cpp/yaml.h>

#include "attackers/direct/direct_gradient_torch.h"
#include "attackers/common/poison_stats.h"
#include "attackers/register_attackers.h"
#include "attackers/common/seed_samples.h"
#include "pipeline/data/data_source.h"
#include "pipeline/data/splits.h"
#include "pipeline/runtime/compute_threads.h"
#include "pipeline/model/torch_model.h"
#include "pipeline/model/training.h"
#include "pipeline/scenario/config_node.h"
#include "sim/kernel/random_stream.h"
#include "tests/attacker_block.h"
#include "tests/script_module.h"
#include "tests/test_support.h"

namespace poisonsim {
namespace {

// dL_val(W'(x_p))/dx_p against central differences, in float64 on a tiny model.
// `clean_per_step` > 0: the victim-aware objective, each step mixing in that many clean samples;
// `recovery_steps` > 0: that many clean-only steps of 5 samples follow.
void check_gradient(const ModelSpec& spec, int64_t unroll_steps, int64_t clean_per_step = 0,
                    int64_t recovery_steps = 0) {
  torch::manual_seed(3);
  const auto model = TargetModel::create(spec, 5);
  // Larger weights than the initial ones, so the curvature the gradient runs through matters.
  std::vector<torch::Tensor> params;
  for (const auto& p : model.impl().params)
    params.push_back(p.detach().to(torch::kFloat64).mul(3).requires_grad_(true));
  const auto& in = spec.input;
  const auto poison = torch::rand({4, in.channels, in.height, in.width}, torch::kFloat64);
  const auto poison_labels = torch::tensor({0, 1, 2, 1}, torch::kInt64);
  const auto val = torch::rand({6, in.channels, in.height, in.width}, torch::kFloat64);
  const auto val_labels = torch::tensor({2, 0, 1, 1, 0, 2}, torch::kInt64);
  const double lr = 0.5;
  CleanChunks clean;
  clean.per_step = clean_per_step;
  if (clean_per_step > 0) {
    clean.images = torch::rand({clean_per_step * unroll_steps, in.channels, in.height, in.width},
                               torch::kFloat64);
    clean.labels =
        torch::randint(0, spec.num_classes, {clean_per_step * unroll_steps}, torch::kInt64);
  }
  if (recovery_steps > 0) {
    clean.recovery_batch = 5;
    clean.recovery_images =
        torch::rand({5 * recovery_steps, in.channels, in.height, in.width}, torch::kFloat64);
    clean.recovery_labels =
        torch::randint(0, spec.num_classes, {5 * recovery_steps}, torch::kInt64);
  }

  const auto x = poison.clone().requires_grad_(true);
  const auto analytic = direct_objective(spec, params, x, poison_labels, val, val_labels, lr,
                                         unroll_steps, true, &clean)
                            .grad;
  ASSERT_TRUE(analytic.defined());
  ASSERT_EQ(analytic.sizes(), poison.sizes());
  auto numeric = torch::zeros_like(poison);
  const double eps = 1e-6;
  auto flat = numeric.view({-1});
  for (int64_t i = 0; i < poison.numel(); ++i) {
    auto loss_at = [&](double delta) {
      auto shifted = poison.clone();
      shifted.view({-1})[i] += delta;
      return direct_objective(spec, params, shifted, poison_labels, val, val_labels, lr,
                              unroll_steps, false, &clean)
          .loss;
    };
    flat[i] = (loss_at(eps) - loss_at(-eps)) / (2 * eps);
  }
  const double error = (analytic - numeric).norm().item<double>() / numeric.norm().item<double>();
  EXPECT_LT(error, 1e-3) << spec.describe() << " unroll " << unroll_steps << " clean "
                         << clean_per_step;
  EXPECT_GT(numeric.norm().item<double>(), 1e-6);  // a real check, not zero against zero
  if (recovery_steps > 0) {  // the recovery steps are taken: they change the objective
    CleanChunks without = clean;
    without.recovery_batch = 0;
    const auto loss_without = direct_objective(spec, params, poison, poison_labels, val,
                                               val_labels, lr, unroll_steps, false, &without);
    const auto loss_with = direct_objective(spec, params, poison, poison_labels, val, val_labels,
                                            lr, unroll_steps, false, &clean);
    EXPECT_GT(std::abs(loss_with.loss - loss_without.loss), 1e-6);
  }
}

// A tiny MLP and a tiny CNN, small enough for finite differences over every pixel.
std::vector<ModelSpec> tiny_specs() {
  ModelSpec mlp;
  mlp.input = {1, 2, 4};
  mlp.hidden = {6};
  mlp.num_classes = 3;
  ModelSpec cnn;
  cnn.kind = ModelKind::cnn;
  cnn.input = {1, 4, 4};
  cnn.conv_channels = {2};
  cnn.hidden = {5};
  cnn.num_classes = 3;
  return {mlp, cnn};
}

TEST(DirectGradient, SecondOrderGradientMatchesFiniteDifferences) {
  for (const auto& spec : tiny_specs())
    for (int64_t unroll : {1, 2}) check_gradient(spec, unroll);
}

// The victim-aware objective: the steps also train on clean samples, which move the weights
// but carry no gradient of their own; the gradient through them is still exact.
TEST(DirectGradient, VictimAwareGradientMatchesFiniteDifferences) {
  for (const auto& spec : tiny_specs())
    for (int64_t unroll : {1, 2, 4}) check_gradient(spec, unroll, /*clean_per_step=*/3);
}

// Recovery steps (clean data only, after the poisoned steps): the poison's effect on the weights
// flows through them, and so does the exact gradient.
TEST(DirectGradient, RecoveryStepsGradientMatchesFiniteDifferences) {
  for (const auto& spec : tiny_specs()) {
    check_gradient(spec, 2, /*clean_per_step=*/3, /*recovery_steps=*/3);
    check_gradient(spec, 1, /*clean_per_step=*/0, /*recovery_steps=*/2);
  }
}

TEST(DirectGradient, VictimAwareMixesCleanSamplesAtTheExpectedShare) {
  VictimRetraining victim;
  EXPECT_EQ(victim.clean_per_step(3), 0);  // the paper's objective: poison alone
  victim.objective = AttackObjective::victim_aware;
  victim.poison_share = 0.1;
  EXPECT_EQ(victim.clean_per_step(3), 27);
  victim.poison_share = 0.25;
  EXPECT_EQ(victim.clean_per_step(4), 12);
  victim.poison_share = 1;
  EXPECT_EQ(victim.clean_per_step(4), 0);
}

struct SmallTask {
  TrainTestData data;
  TargetModel model;
};

SmallTask small_task() {
  auto data = test::small_synthetic(1000, 200, {1, 12, 12});
  ModelSpec spec = default_model_for(data.train.shape, 10);
  spec.hidden = {32};
  auto model = TargetModel::create(spec, 1);
  TrainOptions options;
  options.epochs = 5;
  train_model(model, data.train, options);
  return {std::move(data), std::move(model)};
}

TEST(DirectGradient, AscentRaisesTheObjectiveAndKeepsTheRules) {
  const auto task = small_task();
  const auto weights_before = task.model.weights();
  RandomStream seed_rng(11);
  const auto seeds = draw_seed_samples(task.data.train, 40, seed_rng);
  DirectOptions options;
  options.group_size = 20;
  options.iterations = 10;
  options.step_size = 0.5;
  options.validation_samples = 100;
  options.labels = PoisonLabels::next_class;
  const AttackProblem problem{task.model, task.data.test, 0.5};  // a clear effect, small task
  auto run = [&](uint64_t seed, DirectReport* report) {
    RandomStream rng(seed);
    return direct_gradient_attack(problem, seeds, options, rng, report);
  };
  DirectReport report;
  const auto batch = run(1, &report);

  EXPECT_EQ(report.groups, 2);
  ASSERT_EQ(report.objective_by_iteration.size(), 11u);
  ASSERT_EQ(report.accuracy_by_iteration.size(), 11u);
  EXPECT_GT(report.objective_by_iteration.back(), report.objective_by_iteration.front() + 0.1);
  EXPECT_LT(report.accuracy_by_iteration.back(), report.accuracy_by_iteration.front());
  EXPECT_GT(report.seconds, 0.0);

  ASSERT_EQ(batch.samples.size(), seeds.size());
  EXPECT_EQ(batch.seeds.labels, seeds.labels);
  for (size_t i = 0; i < seeds.size(); ++i)
    EXPECT_EQ(batch.samples.labels[i], (seeds.labels[i] + 1) % 10);
  const auto [low, high] =
      std::minmax_element(batch.samples.pixels.begin(), batch.samples.pixels.end());
  EXPECT_GE(*low, 0.0f);
  EXPECT_LE(*high, 1.0f);
  RandomStream stats_rng(2);
  const auto stats = poison_stats(batch.samples, seeds, stats_rng);
  EXPECT_GT(stats.mean_l2_from_seed, 0.5);

  const auto weights_after = task.model.weights();
  for (size_t i = 0; i < weights_before.size(); ++i)
    EXPECT_EQ(weights_before[i].values, weights_after[i].values) << weights_before[i].name;
  EXPECT_EQ(run(1, nullptr).samples.pixels, batch.samples.pixels);
}

TEST(DirectGradient, ToleranceStopsEarlyAndUnrolledStepsWork) {
  const auto task = small_task();
  RandomStream seed_rng(12);
  const auto seeds = draw_seed_samples(task.data.train, 10, seed_rng);
  DirectOptions options;
  options.group_size = 10;
  options.iterations = 6;
  options.unroll_steps = 3;
  options.tolerance = 1e9;  // no step improves this much: stop after the first
  options.validation_samples = 50;
  const AttackProblem problem{task.model, task.data.test, 0.1};
  RandomStream rng(1);
  DirectReport report;
  const auto batch = direct_gradient_attack(problem, seeds, options, rng, &report);
  ASSERT_EQ(report.objective_by_iteration.size(), 7u);
  for (size_t i = 2; i < 7; ++i)
    EXPECT_EQ(report.objective_by_iteration[i], report.objective_by_iteration[1]);
  EXPECT_EQ(batch.samples.labels, seeds.labels);  // the default rule keeps the seed label
}

// labels: objective picks, per group, the labelling with the highest objective at the seeds:
// its starting objective is at least that of every fixed rule it chooses from.
TEST(DirectGradient, ObjectiveLabelsStartFromTheBestOfTheCandidateLabellings) {
  const auto task = small_task();
  RandomStream seed_rng(13);
  const auto seeds = draw_seed_samples(task.data.train, 40, seed_rng);
  const AttackProblem problem{task.model, task.data.test, 0.5};
  auto run = [&](PoisonLabels labels, DirectReport& report) {
    DirectOptions options;
    options.group_size = 10;
    options.iterations = 2;
    options.validation_samples = 100;
    options.labels = labels;
    RandomStream rng(3);
    return direct_gradient_attack(problem, seeds, options, rng, &report);
  };
  DirectReport chosen, seed, next;
  const auto batch = run(PoisonLabels::objective, chosen);
  run(PoisonLabels::seed, seed);
  run(PoisonLabels::next_class, next);
  ASSERT_EQ(chosen.label_choices.size(), 3u);
  EXPECT_EQ(chosen.label_choices[0] + chosen.label_choices[1] + chosen.label_choices[2], 4);
  EXPECT_TRUE(seed.label_choices.empty());
  EXPECT_GE(chosen.objective_by_iteration.front(), seed.objective_by_iteration.front() - 1e-9);
  EXPECT_GE(chosen.objective_by_iteration.front(), next.objective_by_iteration.front() - 1e-9);
  // Every group's labels are one candidate: all seed, all next-class, or none equal to the seed.
  for (size_t g = 0; g < 4; ++g) {
    int same = 0, next_class = 0;
    for (size_t i = 10 * g; i < 10 * g + 10; ++i) {
      same += batch.samples.labels[i] == seeds.labels[i];
      next_class += batch.samples.labels[i] == (seeds.labels[i] + 1) % 10;
    }
    EXPECT_TRUE(same == 10 || next_class == 10 || same == 0) << "group " << g;
  }
  test::expect_user_error([] { test::parse_attacker_block("generative", "{labels: objective}"); },
                          "attackers.0.labels", "expected one of seed");
}

TEST(DirectGradient, TorchScriptTargetIsAUserError) {
  test::ScratchDir dir;
  test::write_linear_script_module(dir.file("user.pt"), 64, 10);
  ModelSpec spec;
  spec.kind = ModelKind::torchscript;
  spec.input = {1, 8, 8};
  spec.torchscript_path = dir.file("user.pt");
  const auto model = TargetModel::create(spec, 1);
  const auto data = test::small_synthetic(20, 20, spec.input);
  RandomStream rng(1);
  test::expect_user_error(
      [&] {
        direct_gradient_attack({model, data.test, 0.1}, data.train, DirectOptions{}, rng);
      },
      "attacker", "direct method needs an mlp or cnn target");
}

TEST(DirectGradient, ScenarioKeysAreReadAndChecked) {
  auto parse = [](const std::string& yaml) { return test::parse_attacker_block("direct", yaml); };
  const auto factory = parse(
      "{group_size: 5, iterations: 2, step_size: 0.5, tolerance: 0, unroll_steps: 2, "
      "validation_samples: 30, project: true, labels: random-other, retrain_lr: 0.05}");
  const auto task = small_task();
  RandomStream rng(3);
  AttackContext context{task.model, task.data.train, task.data.test, rng, 0, 0};
  const auto batch = factory()->generate(context, 12);
  ASSERT_EQ(batch.samples.size(), 12u);
  for (size_t i = 0; i < 12; ++i) EXPECT_NE(batch.samples.labels[i], batch.seeds.labels[i]);
  test::expect_user_error([&] { parse("{group_size: 0}"); }, "attackers.0.group_size",
                          "expected an integer from 1 to 100000");
  test::expect_user_error([&] { parse("{step_size: 0}"); }, "attackers.0.step_size",
                          "expected a number > 0");
  test::expect_user_error([&] { parse("{labels: swap}"); }, "attackers.0.labels", "expected one of seed");
}

TEST(PoisonStats, DistancesOfKnownImages) {
  Dataset seeds;
  seeds.shape = {1, 1, 2};
  seeds.pixels = {0, 0, 1, 0, 0, 1};
  seeds.labels = {0, 0, 0};
  Dataset poison = seeds;
  poison.pixels = {0.6f, 0.8f, 1, 0, 0, 1};  // first sample moved by L2 1
  RandomStream rng(1);
  const auto stats = poison_stats(poison, seeds, rng);
  EXPECT_NEAR(stats.mean_l2_from_seed, 1.0 / 3, 1e-6);
  const double r2 = std::sqrt(2.0);
  EXPECT_NEAR(stats.seed_pairwise_l2, (1 + 1 + r2) / 3, 1e-6);
  EXPECT_NEAR(stats.mean_pairwise_l2, (std::hypot(0.4, 0.8) + std::hypot(0.6, 0.2) + r2) / 3, 1e-6);
}

// Fashion-MNIST, the default MLP: retraining on direct poison alone hurts clearly more than
// retraining on the same number of clean seeds.
TEST(DirectGradient, PoisonHurtsRetrainingOnFashionMnist) {
  if (test::fashion_mnist_dir().empty()) GTEST_SKIP() << "Fashion-MNIST not installed";
  // One thread: two OpenMP threads on two busy cores (ctest -j2) run many times slower.
  configure_compute_threads(1);
  const auto data = load_data(DataSpec{});
  const auto parts = split_dataset(data.train, {{"train", -1}, {"validation", 2000}}, 1);
  auto model = TargetModel::create(default_model_for(data.train.shape, 10), 1);
  train_model(model, parts[0], TrainOptions{});
  RandomStream seed_rng(4);
  const auto seeds = draw_seed_samples(parts[0], 200, seed_rng);
  DirectOptions options;
  options.iterations = 20;
  RandomStream rng(5);
  DirectReport report;
  const auto batch = direct_gradient_attack({model, parts[1], 0.1}, seeds, options, rng, &report);
  EXPECT_GT(report.objective_by_iteration.back(), report.objective_by_iteration.front());

  auto accuracy_after_retraining = [&](const Dataset& retrain_set) {
    double sum = 0;
    for (uint64_t seed = 1; seed <= 3; ++seed) {
      auto copy = model.clone();
      TrainOptions retrain;
      retrain.seed = seed;
      train_model(copy, retrain_set, retrain);
      sum += evaluate(copy, data.test).accuracy;
    }
    return sum / 3;
  };
  const double clean = accuracy_after_retraining(seeds);
  const double poisoned = accuracy_after_retraining(batch.samples);
  RecordProperty("clean_accuracy", std::to_string(clean));
  RecordProperty("poisoned_accuracy", std::to_string(poisoned));
  EXPECT_LT(poisoned, clean - 0.1) << "clean " << clean << " poisoned " << poisoned;
}

}  // namespace
}  // namespace poisonsim
