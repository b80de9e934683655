// The generative method: its options, training by both rules, generation, the simulation's
// GenerativeAttacker, and one cheap run on real data. The networks (G and the victim copies):
// generative_networks_test.cpp.
#include "attackers/generative/generative_attack.h"

#include <gtest/gtest.h>
#include <torch/script.h>
#include <torch/torch.h>

#include "attackers/common/seed_samples.h"
#include "attackers/register_attackers.h"
#include "pipeline/data/data_source.h"
#include "pipeline/data/splits.h"
#include "pipeline/model/torch_model.h"
#include "pipeline/model/training.h"
#include "pipeline/scenario/config_node.h"
#include "sim/kernel/random_stream.h"
#include "tests/attacker_block.h"
#include "tests/generative_support.h"
#include "tests/script_module.h"
#include "tests/test_support.h"

namespace poisonsim {
namespace {

using test::after_retraining;
using test::same_weights;
using test::small_mlp;
using test::small_options;
using test::SyntheticSetup;

ModelWeights weights_of(const TargetModel& model) { return model.weights(); }

TEST(GenerativeOptions, NamesAndRangesAreChecked) {
  EXPECT_EQ(parse_generative_rule("first-order", "x"), GenerativeRule::first_order);
  EXPECT_EQ(to_string(GenerativeRule::unrolled), "unrolled");
  EXPECT_EQ(parse_generator_kind("auto", "x"), GeneratorKind::automatic);
  EXPECT_EQ(parse_first_order_objective("next-class", "x"), FirstOrderObjective::next_class);
  test::expect_user_error([] { parse_generative_rule("second-order", "attackers.0.rule"); },
                          "attackers.0.rule", "expected first-order or unrolled");
  // Ranges live in one place, the scenario reader beside the options (generative_options.cpp).
  EXPECT_NO_THROW(test::parse_attacker_block("generative", "{}"));
  test::expect_user_error([] { test::parse_attacker_block("generative", "{unroll_chunk: 0}"); },
                          "attackers.0.unroll_chunk", "an integer from 1 to 65536");
}

TEST(GenerativeAttack, SameSeedGivesTheSamePoison) {
  const SyntheticSetup setup;
  const AttackProblem problem{setup.model, setup.data.test, 0.1};
  auto poison_for = [&](uint64_t seed) {
    GenerativeAttack attack;
    RandomStream rng(seed);
    attack.train(problem, setup.data.train, small_options(GenerativeRule::unrolled), rng);
    return attack.generate(setup.data.train, rng).samples.pixels;
  };
  const auto first = poison_for(1);
  EXPECT_EQ(poison_for(1), first);
  EXPECT_NE(poison_for(2), first);
}

// Both rules must make the victim's retraining worse than retraining on the clean seeds, and
// worse than a G trained for a single step (whose grey noise already does some damage here).
void expect_training_increases_damage(GenerativeRule rule) {
  const SyntheticSetup setup;
  const Dataset& validation = setup.data.test;
  const AttackProblem problem{setup.model, validation, 0.1};
  RandomStream seed_rng(4);
  const Dataset seeds = draw_seed_samples(setup.data.train, 300, seed_rng);
  auto damage_after = [&](int64_t steps) {
    GenerativeOptions options = small_options(rule);
    options.steps = steps;
    GenerativeAttack attack;
    RandomStream rng(9);
    attack.train(problem, setup.data.train, options, rng);
    return after_retraining(setup.model, attack.generate(seeds, rng).samples, validation);
  };
  const Evaluation clean = after_retraining(setup.model, seeds, validation);
  const Evaluation untrained = damage_after(1);
  const Evaluation trained = damage_after(150);
  EXPECT_GT(trained.mean_loss, clean.mean_loss + 0.5) << to_string(rule);
  EXPECT_GT(trained.mean_loss, untrained.mean_loss + 0.3) << to_string(rule);
  EXPECT_LT(trained.accuracy, clean.accuracy - 0.3) << to_string(rule);
  EXPECT_LT(trained.accuracy, untrained.accuracy - 0.2) << to_string(rule);
}

TEST(GenerativeAttack, UnrolledTrainingIncreasesTheDamage) {
  expect_training_increases_damage(GenerativeRule::unrolled);
}

TEST(GenerativeAttack, FirstOrderTrainingIncreasesTheDamage) {
  expect_training_increases_damage(GenerativeRule::first_order);
}

TEST(GenerativeAttack, GenerateLabelsPerRuleAndLeavesTheModelAlone) {
  const SyntheticSetup setup;
  const ModelWeights before = weights_of(setup.model);
  const AttackProblem problem{setup.model, setup.data.test, 0.1};
  GenerativeOptions options = small_options(GenerativeRule::first_order);
  options.labels = PoisonLabels::next_class;
  options.select_every = 10;
  GenerativeAttack attack;
  EXPECT_FALSE(attack.trained());
  RandomStream rng(2);
  EXPECT_THROW(attack.generate(setup.data.train, rng), std::logic_error);
  GenerativeReport report;
  attack.train(problem, setup.data.train, options, rng, &report);
  EXPECT_TRUE(attack.trained());
  EXPECT_TRUE(same_weights(weights_of(setup.model), before));

  EXPECT_EQ(report.steps, 40);
  EXPECT_EQ(report.reward_by_step.size(), 40u);
  EXPECT_EQ(report.select_steps, (std::vector<int64_t>{0, 10, 20, 30, 40}));
  EXPECT_GE(report.selected_step, 0);
  EXPECT_NEAR(report.selected_damage, report.base_accuracy - report.selected_accuracy, 1e-12);
  EXPECT_GT(report.spread.seed_pairwise_l2, 0);
  EXPECT_GT(report.spread.mean_pairwise_l2, 0);

  const auto batch = attack.generate(setup.data.test, rng);
  ASSERT_EQ(batch.samples.size(), setup.data.test.size());
  EXPECT_EQ(batch.seeds.labels, setup.data.test.labels);
  for (size_t i = 0; i < batch.samples.size(); ++i)
    EXPECT_EQ(batch.samples.labels[i], (setup.data.test.labels[i] + 1) % 10);
  for (float p : batch.samples.pixels) {
    ASSERT_GE(p, 0.0f);
    ASSERT_LE(p, 1.0f);
  }
  // Generation is a pure forward pass: the same seeds give the same images again.
  EXPECT_EQ(attack.generate(setup.data.test, rng).samples.pixels, batch.samples.pixels);
  EXPECT_TRUE(same_weights(weights_of(setup.model), before));
}

TEST(GenerativeAttack, RejectsTorchScriptTargetsAndMisfitData) {
  test::ScratchDir dir;
  test::write_linear_script_module(dir.file("user.pt"), 784, 10);
  ModelSpec spec;
  spec.kind = ModelKind::torchscript;
  spec.torchscript_path = dir.file("user.pt");
  const auto script = TargetModel::create(spec, 1);
  const auto data = test::small_synthetic(50, 50);
  GenerativeAttack attack;
  RandomStream rng(1);
  const auto options = small_options(GenerativeRule::unrolled);
  test::expect_user_error(
      [&] {
        attack.train({script, data.test, 0.1}, data.train, options, rng);
      },
      "attacker", "native (mlp/cnn) target");

  const auto model = TargetModel::create(small_mlp(), 1);
  const auto colour = test::small_synthetic(50, 50, {3, 32, 32});
  test::expect_user_error(
      [&] {
        attack.train({model, data.test, 0.1}, colour.train, options, rng);
      },
      "synthetic", "the target model takes 1x28x28");
}

TEST(GenerativeAttacker, RetrainsWhenTheModelVersionAdvances) {
  const SyntheticSetup setup;
  GenerativeOptions options = small_options(GenerativeRule::first_order);
  options.steps = 2;
  RandomStream rng(3);
  auto generate_at = [&](GenerativeAttacker& attacker, int64_t version) {
    AttackContext context{setup.model, setup.data.train, setup.data.test, rng, 0.0, version};
    const auto batch = attacker.generate(context, 20);
    EXPECT_EQ(batch.samples.size(), 20u);
    return attacker.trainings();
  };
  GenerativeAttacker every(options, 0.1, 1);
  EXPECT_EQ(generate_at(every, 0), 1);
  EXPECT_EQ(generate_at(every, 0), 1);
  EXPECT_EQ(generate_at(every, 1), 2);
  EXPECT_EQ(generate_at(every, 3), 3);
  EXPECT_EQ(every.last_report().steps, 2);

  GenerativeAttacker second(options, 0.1, 2);
  EXPECT_EQ(generate_at(second, 0), 1);
  EXPECT_EQ(generate_at(second, 1), 1);
  EXPECT_EQ(generate_at(second, 2), 2);

  GenerativeAttacker never(options, 0.1, 0);
  EXPECT_EQ(generate_at(never, 0), 1);
  EXPECT_EQ(generate_at(never, 5), 1);
}

TEST(GenerativeAttack, ColourImagesWithACnnTarget) {
  ModelSpec spec;
  spec.kind = ModelKind::cnn;
  spec.input = {3, 32, 32};
  spec.conv_channels = {8};
  spec.hidden = {32};
  const auto model = TargetModel::create(spec, 1);
  const auto data = test::small_synthetic(100, 50, spec.input);
  for (auto rule : {GenerativeRule::unrolled, GenerativeRule::first_order}) {
    GenerativeOptions options = small_options(rule);
    options.generator.conv_channels = {8, 16};
    options.steps = 3;
    options.select_every = 2;
    options.select_samples = 64;
    GenerativeAttack attack;
    RandomStream rng(1);
    GenerativeReport report;
    attack.train({model, data.test, 0.1}, data.train, options, rng, &report);
    EXPECT_EQ(report.select_steps, (std::vector<int64_t>{0, 2, 3}));
    const auto batch = attack.generate(data.test, rng);
    EXPECT_EQ(batch.samples.shape, spec.input);
    EXPECT_EQ(batch.samples.size(), data.test.size());
  }
}

TEST(GenerativeAttacker, ScenarioKeysAreReadAndChecked) {
  auto parse = [](const std::string& yaml) {
    return test::parse_attacker_block("generative", yaml);
  };
  const auto factory = parse(
      "{rule: first-order, first_order_objective: next-class, generator: mlp, "
      "encoder_widths: [32], code_width: 8, decoder_widths: [], conv_channels: [4], lr: 0.01, "
      "steps: 3, batch_size: 16, unroll_steps: 2, unroll_chunk: 8, copy_reset_every: 4, "
      "reset_patience: 2, select_every: 0, select_samples: 50, validation_samples: 40, "
      "identity_weight: 1, labels: next-class, retrain_lr: 0.05, refresh_every: 0}");
  const SyntheticSetup setup;
  RandomStream rng(3);
  AttackContext context{setup.model, setup.data.train, setup.data.test, rng, 0, 0};
  auto generator = factory();
  const auto batch = generator->generate(context, 12);
  ASSERT_EQ(batch.samples.size(), 12u);
  for (size_t i = 0; i < 12; ++i)
    EXPECT_EQ(batch.samples.labels[i], (batch.seeds.labels[i] + 1) % 10);
  const auto* attacker = dynamic_cast<const GenerativeAttacker*>(generator.get());
  ASSERT_NE(attacker, nullptr);
  EXPECT_EQ(attacker->last_report().steps, 3);
  test::expect_user_error([&] { parse("{rule: exact}"); }, "attackers.0.rule", "expected one of");
  test::expect_user_error([&] { parse("{steps: 0}"); }, "attackers.0.steps",
                          "expected an integer from 1 to 1000000");
  test::expect_user_error([&] { parse("{encoder_widths: [0]}"); }, "attackers.0.encoder_widths",
                          "expected an integer from 1 to 65536");
  test::expect_user_error([&] { parse("{conv_channels: []}"); }, "attackers.0.conv_channels",
                          "expected 1 to 5 channel counts");
  test::expect_user_error([&] { parse("{refresh_every: -1}"); }, "attackers.0.refresh_every",
                          "expected an integer >= 0");
  test::expect_user_error([&] { parse("{labels: swap}"); }, "attackers.0.labels",
                          "expected one of seed");
}

// Real data, kept cheap: the default MLP pretrained for one epoch, G trained briefly, 500
// poisoned samples; retraining on them alone must cost clearly more accuracy than retraining on
// their clean seeds.
TEST(GenerativeFashionMnist, PoisonDegradesTheRetrainedModel) {
  if (test::fashion_mnist_dir().empty()) GTEST_SKIP() << "Fashion-MNIST not installed";
  const auto data = load_data(DataSpec{});
  const auto parts =
      split_dataset(data.train, {{"pretrain", 20000}, {"validation", 1000}, {"pool", 1000}}, 1);
  auto model = TargetModel::create(default_model_for(data.train.shape, 10), 1);
  train_model(model, parts[0], TrainOptions{});
  const double before = evaluate(model, data.test).accuracy;
  ASSERT_GE(before, 0.75);

  GenerativeOptions options;
  options.steps = 100;
  options.select_samples = 500;
  GenerativeAttack attack;
  RandomStream rng(1);
  GenerativeReport report;
  attack.train({model, parts[1], 0.1}, parts[2], options, rng, &report);
  RandomStream seed_rng(2);
  const Dataset seeds = draw_seed_samples(parts[2], 500, seed_rng);
  const auto poison = attack.generate(seeds, rng).samples;
  const double poisoned = after_retraining(model, poison, data.test).accuracy;
  const double clean = after_retraining(model, seeds, data.test).accuracy;
  EXPECT_LT(poisoned, clean - 0.15)
      << "before " << before << ", selected step " << report.selected_step;
  EXPECT_GT(report.spread.mean_pairwise_l2, 0.1 * report.spread.seed_pairwise_l2);
}

}  // namespace
}  // namespace poisonsim
