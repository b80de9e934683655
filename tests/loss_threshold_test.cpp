#include "guards/per_sample/loss_threshold.h"

#include <cmath>
#include <limits>

#include <gtest/gtest.h>

#include "guards/per_sample/adaptive_threshold.h"
#include "guards/gates/retrain_gates.h"
#include "tests/test_support.h"

namespace poisonsim {
namespace {

ScoredSample with_loss(float loss) {
  ScoredSample s;
  s.loss = loss;
  return s;
}

TEST(LossThresholdGuard, RejectsAboveThresholdAndNonFinite) {
  LossThresholdGuard guard(2.0);
  EXPECT_EQ(guard.judge(with_loss(0.5f)), Verdict::accept);
  EXPECT_EQ(guard.judge(with_loss(2.0f)), Verdict::accept);
  EXPECT_EQ(guard.judge(with_loss(2.01f)), Verdict::reject);
  EXPECT_EQ(guard.judge(with_loss(std::nanf(""))), Verdict::reject);
  EXPECT_EQ(guard.judge(with_loss(std::numeric_limits<float>::infinity())), Verdict::reject);
  EXPECT_DOUBLE_EQ(guard.threshold(), 2.0);
}

TEST(LossThresholdGuard, RejectsBadThresholds) {
  test::expect_user_error([] { LossThresholdGuard guard(0.0); }, "guard.threshold", "positive");
  test::expect_user_error([] { LossThresholdGuard guard(std::nan(""), "g.t"); }, "g.t", "positive");
}

TEST(ValidationGate, RefusesWorseLossOrAccuracy) {
  ValidationGate by_loss(0.05, std::nullopt);
  EXPECT_TRUE(by_loss.decide({0.50, 0.54, 0.8, 0.7}).allow);
  EXPECT_FALSE(by_loss.decide({0.50, 0.56, 0.8, 0.8}).allow);
  EXPECT_FALSE(by_loss.decide({0.50, NAN, 0.8, 0.8}).allow);
  ValidationGate by_accuracy(10.0, 0.02);
  EXPECT_TRUE(by_accuracy.decide({0.5, 0.9, 0.80, 0.79}).allow);
  EXPECT_FALSE(by_accuracy.decide({0.5, 0.5, 0.80, 0.77}).allow);
  EXPECT_TRUE(AlwaysDeploy().decide({0.1, 9.0, 0.9, 0.1}).allow);
}

// A refusal names its limit and how far past it the candidate went, in the limit's units: the
// loss limit is absolute (nats), not relative to the deployed model's loss.
TEST(ValidationGate, SaysWhichLimitAndByHowMuch) {
  ValidationGate gate(0.05, 0.02);
  const GateDecision loss = gate.decide({2.00, 2.08, 0.8, 0.8});  // +0.08 nats: 0.03 past
  EXPECT_FALSE(loss.allow);
  EXPECT_EQ(loss.reason, ValidationGate::kLossReason);
  EXPECT_NEAR(loss.margin, 0.03, 1e-12);
  const GateDecision accuracy = gate.decide({0.5, 0.5, 0.80, 0.75});  // -0.05: 0.03 past
  EXPECT_EQ(accuracy.reason, ValidationGate::kAccuracyReason);
  EXPECT_NEAR(accuracy.margin, 0.03, 1e-12);
  const GateDecision both = gate.decide({0.5, 0.6, 0.80, 0.70});  // both limits: loss named
  EXPECT_EQ(both.reason, ValidationGate::kLossReason);
  EXPECT_NEAR(both.margin, 0.05, 1e-12);
  const GateDecision not_finite = gate.decide({0.5, INFINITY, 0.8, 0.8});
  EXPECT_EQ(not_finite.reason, ValidationGate::kNotFiniteReason);
  EXPECT_TRUE(std::isnan(not_finite.margin));
  const GateDecision allowed = gate.decide({0.5, 0.54, 0.80, 0.79});
  EXPECT_TRUE(allowed.allow);
  EXPECT_EQ(allowed.reason, "");
  EXPECT_TRUE(std::isnan(allowed.margin));
}

}  // namespace
}  // namespace poisonsim

namespace poisonsim {
namespace {

TEST(AdaptiveThresholdGuard, WarmsUpThenFollowsTheQuantileOfAcceptedLosses) {
  AdaptiveThresholdOptions o;
  o.quantile = 0.5;
  o.factor = 2.0;
  o.window = 100;
  o.warmup = 50;
  o.initial_threshold = 5.0;
  o.update_every = 1;
  AdaptiveThresholdGuard guard(o);
  EXPECT_EQ(guard.judge(with_loss(4.9f)), Verdict::accept);  // warm-up: the initial threshold
  EXPECT_EQ(guard.judge(with_loss(5.1f)), Verdict::reject);
  for (int i = 0; i < 100; ++i) guard.judge(with_loss(0.5f + 0.01f * static_cast<float>(i % 10)));
  EXPECT_NEAR(guard.threshold(), 2.0 * 0.55, 0.03);  // median 0.55 of the recent window, x2
  EXPECT_EQ(guard.judge(with_loss(1.0f)), Verdict::accept);
  EXPECT_EQ(guard.judge(with_loss(1.2f)), Verdict::reject);
  EXPECT_EQ(guard.judge(with_loss(std::nanf(""))), Verdict::reject);
  guard.on_deploy();  // a new model: warm-up again
  EXPECT_DOUBLE_EQ(guard.threshold(), 5.0);
}

TEST(AdaptiveThresholdGuard, MeanPlusKStd) {
  AdaptiveThresholdOptions o;
  o.rule = AdaptiveThresholdOptions::Rule::mean_std;
  o.k = 2.0;
  o.factor = 1.0;
  o.window = 10;
  o.warmup = 10;
  o.update_every = 1;
  AdaptiveThresholdGuard guard(o);
  for (int i = 0; i < 10; ++i) guard.judge(with_loss(i % 2 ? 1.0f : 3.0f));  // mean 2, std 1
  EXPECT_NEAR(guard.threshold(), 4.0, 1e-6);
}

}  // namespace
}  // namespace poisonsim
