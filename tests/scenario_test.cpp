#include "pipeline/scenario/scenario.h"

#include <gtest/gtest.h>

#include "tests/test_support.h"
#include "tools/common/builtin_plugins.h"

namespace poisonsim {
namespace {

const PluginRegistry& plugins() { return cli::builtin_plugins(); }

Scenario parse(const std::string& text, const std::vector<std::string>& overrides = {}) {
  return parse_scenario(text, "s.yaml", overrides, plugins());
}

template <class Fn>
void expect_error(Fn&& fn, const std::string& where, const std::string& fragment) {
  test::expect_user_error(std::forward<Fn>(fn), where, fragment);
}

TEST(Scenario, MinimalScenarioGetsEveryDefault) {
  const auto s = parse("duration: 100\n");
  EXPECT_DOUBLE_EQ(s.duration, 100);
  EXPECT_EQ(s.seed, 1u);
  EXPECT_EQ(s.data.kind, DataKind::fashion_mnist);
  EXPECT_EQ(s.model.describe(), "mlp 784-256-10");
  ASSERT_EQ(s.streams.size(), 1u);
  EXPECT_EQ(s.streams[0].name, "public");
  EXPECT_TRUE(s.attackers.empty());
  EXPECT_EQ(s.guard.type, "none");
  EXPECT_EQ(s.gate.type, "none");
  // The resolved text lists defaults too, and reads back to itself.
  EXPECT_NE(s.resolved_yaml.find("batch_size: 32"), std::string::npos) << s.resolved_yaml;
  EXPECT_NE(s.resolved_yaml.find("eviction: fifo"), std::string::npos);
  EXPECT_EQ(parse(s.resolved_yaml).resolved_yaml, s.resolved_yaml);
}

TEST(Scenario, ShippedQuickstartParsesAndRoundTrips) {
  const auto s = load_scenario(std::string(POISONSIM_SOURCE_DIR) + "/scenarios/quickstart.yaml", {},
                               plugins());
  ASSERT_EQ(s.attackers.size(), 1u);
  EXPECT_EQ(s.attackers[0].type, "generative");
  EXPECT_DOUBLE_EQ(s.attackers[0].start, 60);
  EXPECT_EQ(s.guard.type, "loss-threshold");
  EXPECT_EQ(s.gate.type, "validation");
  EXPECT_EQ(parse(s.resolved_yaml).resolved_yaml, s.resolved_yaml);
}

TEST(Scenario, ValuesKeepTheUsersSpelling) {
  const auto s = parse("duration: 100\nretrain:\n  lr: 0.1\n");
  EXPECT_NE(s.resolved_yaml.find("lr: 0.1\n"), std::string::npos) << s.resolved_yaml;
}

TEST(Scenario, OverridesApplyBeforeValidation) {
  const std::string text =
      "duration: 100\nattackers:\n  - type: label-flip\n    arrival: {rate: 1}\n";
  const auto s =
      parse(text, {"retrain.epochs=3", "attackers.0.arrival.rate=5", "guard.type=loss-threshold",
                   "guard.threshold=2.5", "model.hidden=[64, 32]"});
  EXPECT_EQ(s.retrain.train.epochs, 3);
  EXPECT_DOUBLE_EQ(s.attackers[0].arrival.rate, 5);
  EXPECT_EQ(s.guard.type, "loss-threshold");
  EXPECT_EQ(s.model.hidden, (std::vector<int64_t>{64, 32}));
  expect_error([&] { parse(text, {"retrain.epochs=zero"}); }, "s.yaml: --set retrain.epochs",
               "expected an integer");
  expect_error([&] { parse(text, {"attackers.3.rate=1"}); }, "--set attackers.3.rate=1",
               "expected an index from 0 to 0");
  expect_error([&] { parse(text, {"duration"}); }, "--set duration", "key.path=value");
  expect_error([&] { parse(text, {"duration="}); }, "--set duration=", "empty value");
  expect_error([&] { parse(text, {"duration= "}); }, "--set duration=", "empty value");
  expect_error([&] { parse(text, {"retrian.epochs=2"}); }, "retrian", "did you mean 'retrain'");
}

TEST(Scenario, MalformedYamlNamesLineAndColumn) {
  expect_error([] { parse("duration: 10\nretrain: [1, 2\n"); }, "s.yaml:", "malformed YAML");
}

TEST(Scenario, UnknownKeySuggestsTheNearestOne) {
  expect_error([] { parse("duration: 10\nretrain:\n  intervl: 5\n"); },
               "s.yaml:3:3: retrain.intervl", "did you mean 'interval'");
  expect_error([] { parse("duration: 10\nzzzzzzzz: 1\n"); }, "s.yaml:2:1: zzzzzzzz",
               "valid keys here:");
}

TEST(Scenario, WrongTypesAreNamed) {
  expect_error([] { parse("duration: soon\n"); }, "s.yaml:1:11: duration",
               "expected a number, got 'soon'");
  expect_error([] { parse("duration: 10\nretrain:\n  epochs: [1]\n"); },
               "s.yaml:3:11: retrain.epochs", "expected an integer, got a list");
  expect_error([] { parse("duration: 10\ntrace:\n  samples: maybe\n"); }, "trace.samples",
               "expected true or false");
  expect_error([] { parse("duration: 10\nmodel: [mlp]\n"); }, "s.yaml:2:8: model",
               "expected a mapping of keys, got a list");
}

TEST(Scenario, OutOfRangeValuesAreNamed) {
  expect_error([] { parse("duration: 0\n"); }, "duration", "expected a number from");
  expect_error([] { parse("duration: 10\nretrain:\n  momentum: 1.5\n"); }, "retrain.momentum",
               "expected a number from 0 to 0.999");
  expect_error([] { parse("duration: 10\nstreams:\n  - label_noise: 2\n"); },
               "streams.0.label_noise", "from 0 to 1");
  expect_error([] { parse("duration: 10\ndata:\n  kind: imagenet\n"); }, "data.kind",
               "one of fashion-mnist, mnist, cifar10, synthetic");
}

TEST(Scenario, RetrainPolicyKeys) {
  const auto s = parse(
      "duration: 10\nretrain:\n  start: base\n  select: average\n  lr_schedule: cosine\n"
      "  warmup: 0.2\n  buffer: {clear_after_retrain: false, keep_windows: 3}\n");
  EXPECT_EQ(s.retrain.start, RetrainStart::base);
  EXPECT_EQ(s.retrain.select, ModelSelection::average);
  EXPECT_TRUE(s.retrain.train.average_last_epoch);
  EXPECT_EQ(s.retrain.train.schedule, LrSchedule::cosine);
  EXPECT_DOUBLE_EQ(s.retrain.train.warmup, 0.2);
  EXPECT_EQ(s.retrain.keep_windows, 3);
  expect_error([] { parse("duration: 10\nretrain:\n  start: scratch\n"); }, "retrain.start",
               "one of deployed, base");
  expect_error([] { parse("duration: 10\nretrain:\n  select: median\n"); }, "retrain.select",
               "one of last, average, best");
  expect_error([] { parse("duration: 10\nretrain:\n  warmup: 1\n"); }, "retrain.warmup",
               "from 0 to 0.99");
  expect_error([] { parse("duration: 10\nretrain:\n  buffer: {keep_windows: 2}\n"); },
               "retrain.buffer.keep_windows", "clear_after_retrain: false");
}

TEST(Scenario, AttackTimingKeys) {
  const std::string attacker = "duration: 10\nattackers:\n  - type: noise\n";
  const auto s = parse(attacker + "    timing: after-deploy\n    budget_per_window: 64\n");
  EXPECT_EQ(s.attackers[0].timing, AttackTiming::after_deploy);
  EXPECT_EQ(s.attackers[0].budget_per_window, 64);
  EXPECT_DOUBLE_EQ(s.attackers[0].timing_span, 10);
  expect_error([&] { parse(attacker + "    timing: late\n"); }, "attackers.0.timing",
               "one of uniform, before-retrain, after-deploy, verdicts");
  expect_error([&] { parse(attacker + "    budget_per_window: 0\n"); },
               "attackers.0.budget_per_window", "expected an integer >= 1");
  expect_error(
      [&] {
        parse(attacker + "    timing: before-retrain\nretrain: {trigger: buffer}\n");
      },
      "retrain.trigger", "attackers.0.timing: before-retrain needs");
  const auto v = parse(attacker + "    timing: verdicts\n    timing_probe_every: 4\n");
  EXPECT_EQ(v.attackers[0].timing, AttackTiming::verdicts);
  EXPECT_EQ(v.attackers[0].timing_probe_every, 4);
  EXPECT_DOUBLE_EQ(v.attackers[0].timing_min_acceptance, 0.5);
  expect_error([&] { parse(attacker + "    timing_min_acceptance: 0.9\n"); },
               "attackers.0.timing_min_acceptance", "applies only to timing: verdicts");
  expect_error([&] { parse(attacker + "    timing: verdicts\n    timing_min_acceptance: 2\n"); },
               "attackers.0.timing_min_acceptance", "");
  expect_error([&] { parse(attacker + "    timing: verdicts\n    timing_probe_every: 0\n"); },
               "attackers.0.timing_probe_every", "");
}

TEST(Scenario, AccumulateKeys) {
  const std::string attacker = "duration: 10\nattackers:\n  - type: label-flip\n";
  const auto s = parse(attacker + "    accumulate: {trigger_at: 8, max_accuracy_drop: 0.02}\n");
  ASSERT_TRUE(s.attackers[0].accumulate.has_value());
  const auto& plan = *s.attackers[0].accumulate;
  EXPECT_DOUBLE_EQ(plan.trigger_at, 8);
  EXPECT_DOUBLE_EQ(plan.safety, 0.5);
  EXPECT_DOUBLE_EQ(plan.max_loss_increase, 0.05);
  EXPECT_EQ(plan.max_accuracy_drop, 0.02);
  EXPECT_FALSE(plan.window_clean.has_value());  // derived from the streams when the run starts
  EXPECT_FALSE(parse(attacker).attackers[0].accumulate.has_value());
  expect_error([&] { parse(attacker + "    accumulate: {safety: 0.5}\n"); },
               "attackers.0.accumulate.trigger_at", "missing required key");
  expect_error([&] { parse(attacker + "    accumulate: {trigger_at: 1, safety: 0}\n"); },
               "attackers.0.accumulate.safety", "from 0.01 to 1");
  expect_error([&] { parse(attacker + "    accumulate: {trigger_at: 1, dose: 3}\n"); },
               "attackers.0.accumulate.dose", "unknown key");
  expect_error(
      [&] { parse(attacker + "    timing: before-retrain\n    accumulate: {trigger_at: 1}\n"); },
      "attackers.0.accumulate", "cannot be combined with timing before-retrain");
  expect_error(
      [&] { parse(attacker + "    knowledge: {model: stale}\n    accumulate: {trigger_at: 1}\n"); },
      "attackers.0.accumulate", "cannot be combined with knowledge.model stale");
}

TEST(Scenario, MissingRequiredKeysAreNamed) {
  expect_error([] { parse("seed: 3\n"); }, "duration", "missing required key");
  expect_error([] { parse("duration: 10\nattackers:\n  - batch_size: 4\n"); }, "attackers.0.type",
               "missing required key");
}

TEST(Scenario, StructuralMistakes) {
  expect_error([] { parse(""); }, "s.yaml", "empty scenario");
  expect_error([] { parse("- 1\n- 2\n"); }, "s.yaml", "expected a mapping of scenario keys");
  expect_error([] { parse("duration: 1\nduration: 2\n"); }, "s.yaml:2:1: duration",
               "duplicate key");
  expect_error([] { parse("duration: 10\nstreams:\n  - name: a\n  - name: a\n"); },
               "streams.1.name", "two streams share this name");
  expect_error([] { parse("duration: 10\nattackers:\n  - type: nope\n"); }, "attackers.0.type",
               "one of direct, generative, label-flip, noise");
}

}  // namespace
}  // namespace poisonsim
