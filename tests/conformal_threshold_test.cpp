// The threshold every quantile-calibrated defense stage removes above
// (guards/per_sample/conformal_threshold.h): its rank, and the false-positive rate it promises on
// clean scores drawn like the calibration's.
#include <algorithm>
#include <cmath>
#include <limits>
#include <random>
#include <stdexcept>
#include <vector>

#include <gtest/gtest.h>

#include "guards/per_sample/conformal_threshold.h"

namespace poisonsim {
namespace {

std::vector<double> one_to(int n) {
  std::vector<double> v;
  for (int i = n; i >= 1; --i) v.push_back(i);  // descending: the function must not rely on order
  return v;
}

TEST(ConformalThreshold, IsTheCeilingOfQuantileTimesNPlusOneThSmallest) {
  EXPECT_EQ(conformal_threshold(one_to(99), 0.9), 90);  // ceil(0.9 x 100) = 90
  EXPECT_EQ(conformal_threshold(one_to(4), 0.5), 3);    // ceil(2.5) = 3
  EXPECT_EQ(conformal_threshold(one_to(500), 0.99), 496);  // ceil(495.99): nearest rank says 495
  // 0.95 x 20 is 19.000000000000004 in double: still rank 19, the largest of 19.
  EXPECT_EQ(conformal_threshold(one_to(19), 0.95), 19);
  EXPECT_EQ(conformal_threshold(one_to(3), 0.1), 1);
}

TEST(ConformalThreshold, IsInfiniteWhenTooFewScoresSupportTheQuantile) {
  // 0.99 needs at least 99 scores (ceil(0.99 x 100) = 99); with 98 nothing is removed.
  EXPECT_EQ(conformal_threshold(one_to(98), 0.99), std::numeric_limits<double>::infinity());
  EXPECT_EQ(conformal_threshold(one_to(99), 0.99), 99);
  EXPECT_EQ(conformal_threshold(one_to(1000), 1.0), std::numeric_limits<double>::infinity());
  EXPECT_THROW(conformal_threshold({}, 0.9), std::logic_error);
  // conformal_scores_needed() says where the threshold becomes finite.
  for (const double q : {0.9, 0.95, 0.99, 0.999}) {
    const size_t n = conformal_scores_needed(q);
    EXPECT_FALSE(std::isinf(conformal_threshold(one_to(static_cast<int>(n)), q))) << q;
    EXPECT_TRUE(std::isinf(conformal_threshold(one_to(static_cast<int>(n) - 1), q))) << q;
  }
  EXPECT_EQ(conformal_scores_needed(0.99), 99u);
  EXPECT_EQ(conformal_scores_needed(0.95), 19u);
}

// Calibrate on n clean scores, count how many fresh clean scores from the same distribution
// exceed the threshold, over many draws: the conformal rule's mean rate is at most 1 - quantile
// ((n + 1 - rank) / (n + 1) = 5/501 = 0.998% for 500 scores at 0.99), while the nearest-rank
// quantile's is 6/501 = 1.198%, the 1.2% the defense grid measured for spectral, Sever and TRIM.
TEST(ConformalThreshold, AFreshCleanScoreExceedsItAtMostOneMinusTheQuantile) {
  std::mt19937_64 rng(20261208);
  std::normal_distribution<double> clean(0.0, 1.0);
  const int n = 500, fresh = 200, trials = 3000;
  double conformal_exceed = 0, nearest_rank_exceed = 0;
  for (int t = 0; t < trials; ++t) {
    std::vector<double> calibration(n);
    for (auto& v : calibration) v = clean(rng);
    const double threshold = conformal_threshold(calibration, 0.99);
    std::vector<double> sorted = calibration;
    std::sort(sorted.begin(), sorted.end());
    const double nearest_rank = sorted[static_cast<size_t>(std::ceil(0.99 * n)) - 1];
    for (int i = 0; i < fresh; ++i) {
      const double x = clean(rng);
      conformal_exceed += x > threshold;
      nearest_rank_exceed += x > nearest_rank;
    }
  }
  const double draws = static_cast<double>(trials) * fresh;
  // Standard error of each mean rate: about 0.0044 / sqrt(3000) = 0.00008.
  EXPECT_NEAR(conformal_exceed / draws, 5.0 / 501, 0.0004);
  EXPECT_LE(conformal_exceed / draws, 0.0102);
  EXPECT_NEAR(nearest_rank_exceed / draws, 6.0 / 501, 0.0004);
}

}  // namespace
}  // namespace poisonsim
