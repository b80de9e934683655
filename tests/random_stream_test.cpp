#include "sim/kernel/random_stream.h"

#include <algorithm>
#include <numeric>
#include <vector>

#include <gtest/gtest.h>

namespace poisonsim {

TEST(RandomStream, SameSeedAndNameGiveSameSequence) {
  RandomStream a(42, "stream/a"), b(42, "stream/a");
  for (int i = 0; i < 100; ++i) EXPECT_EQ(a.next_u64(), b.next_u64());
}

TEST(RandomStream, NamesAndSeedsGiveIndependentStreams) {
  RandomStream a(42, "stream/a"), b(42, "stream/b"), c(43, "stream/a");
  int same_ab = 0, same_ac = 0;
  for (int i = 0; i < 100; ++i) {
    const auto va = a.next_u64();
    same_ab += va == b.next_u64();
    same_ac += va == c.next_u64();
  }
  EXPECT_EQ(same_ab, 0);
  EXPECT_EQ(same_ac, 0);
}

TEST(RandomStream, StateRestoresTheSequence) {
  RandomStream a(1, "x");
  for (int i = 0; i < 10; ++i) a.next_u64();
  const auto saved = a.state();
  std::vector<uint64_t> first;
  for (int i = 0; i < 10; ++i) first.push_back(a.next_u64());
  RandomStream b(999);
  b.set_state(saved);
  for (int i = 0; i < 10; ++i) EXPECT_EQ(b.next_u64(), first[static_cast<size_t>(i)]);
}

TEST(RandomStream, UniformAndBelowStayInRange) {
  RandomStream rng(5);
  std::vector<int> counts(7, 0);
  for (int i = 0; i < 70000; ++i) {
    const double u = rng.uniform();
    ASSERT_GE(u, 0.0);
    ASSERT_LT(u, 1.0);
    ++counts[rng.below(7)];
  }
  for (int c : counts) EXPECT_NEAR(c, 10000, 500);
}

TEST(RandomStream, ExponentialAndNormalHaveTheRightMoments) {
  RandomStream rng(11);
  const int n = 200000;
  double exp_sum = 0, norm_sum = 0, norm_sq = 0;
  for (int i = 0; i < n; ++i) {
    exp_sum += rng.exponential(4.0);
    const double z = rng.normal();
    norm_sum += z;
    norm_sq += z * z;
  }
  EXPECT_NEAR(exp_sum / n, 0.25, 0.005);
  EXPECT_NEAR(norm_sum / n, 0.0, 0.01);
  EXPECT_NEAR(norm_sq / n, 1.0, 0.02);
  EXPECT_THROW(rng.exponential(0.0), std::invalid_argument);
  EXPECT_THROW(rng.below(0), std::invalid_argument);
}

TEST(RandomStream, ShuffleIsAPermutationAndDeterministic) {
  std::vector<int> a(50), b(50);
  std::iota(a.begin(), a.end(), 0);
  b = a;
  RandomStream ra(3, "shuffle"), rb(3, "shuffle");
  ra.shuffle(a.begin(), a.end());
  rb.shuffle(b.begin(), b.end());
  EXPECT_EQ(a, b);
  std::vector<int> sorted = a;
  std::sort(sorted.begin(), sorted.end());
  for (int i = 0; i < 50; ++i) EXPECT_EQ(sorted[static_cast<size_t>(i)], i);
  EXPECT_NE(a, sorted);
}

}  // namespace poisonsim
