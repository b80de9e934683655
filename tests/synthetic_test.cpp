#include "pipeline/data/synthetic.h"

#include <gtest/gtest.h>

namespace poisonsim {
namespace {

TEST(Synthetic, IsDeterministicInRangeAndCoversClasses) {
  SyntheticSpec spec;
  spec.train_size = 300;
  spec.test_size = 50;
  spec.shape = {3, 8, 8};
  const auto a = make_synthetic(spec);
  const auto b = make_synthetic(spec);
  EXPECT_EQ(a.train.pixels, b.train.pixels);
  EXPECT_EQ(a.test.labels, b.test.labels);
  EXPECT_NO_THROW(a.train.check_consistent());
  for (float v : a.train.pixels) {
    ASSERT_GE(v, 0.0f);
    ASSERT_LE(v, 1.0f);
  }
  std::vector<int> counts(10, 0);
  for (auto y : a.train.labels) ++counts[static_cast<size_t>(y)];
  for (int c : counts) EXPECT_GT(c, 10);
  spec.seed = 2;
  EXPECT_NE(make_synthetic(spec).train.pixels, a.train.pixels);
}

}  // namespace
}  // namespace poisonsim
