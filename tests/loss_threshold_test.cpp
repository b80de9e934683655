#include "guards/loss_threshold.h"

#include <cmath>
#include <limits>

#include <gtest/gtest.h>

#include "tests/test_support.h"

namespace poisonsim {
namespace {

TEST(LossThresholdGuard, RejectsAboveThresholdAndNonFinite) {
  LossThresholdGuard guard(2.0);
  EXPECT_EQ(guard.judge(0.5f), Verdict::accept);
  EXPECT_EQ(guard.judge(2.0f), Verdict::accept);
  EXPECT_EQ(guard.judge(2.01f), Verdict::reject);
  EXPECT_EQ(guard.judge(std::nanf("")), Verdict::reject);
  EXPECT_EQ(guard.judge(std::numeric_limits<float>::infinity()), Verdict::reject);
  EXPECT_EQ(guard.accepted(), 2);
  EXPECT_EQ(guard.rejected(), 3);
}

TEST(LossThresholdGuard, RejectsBadThresholds) {
  test::expect_user_error([] { LossThresholdGuard guard(0.0); }, "guard.threshold", "positive");
  test::expect_user_error([] { LossThresholdGuard guard(std::nan(""), "g.t"); }, "g.t", "positive");
}

}  // namespace
}  // namespace poisonsim
