#include "pipeline/data/splits.h"

#include <set>

#include <gtest/gtest.h>

#include "tests/test_support.h"

namespace poisonsim {
namespace {

TEST(Splits, DealsDisjointDeterministicParts) {
  const auto data = test::small_synthetic(100, 10).train;
  const auto a = split_dataset(data, {{"train", -1}, {"validation", 30}}, 5);
  const auto b = split_dataset(data, {{"train", -1}, {"validation", 30}}, 5);
  ASSERT_EQ(a.size(), 2u);
  EXPECT_EQ(a[0].size(), 70u);
  EXPECT_EQ(a[1].size(), 30u);
  EXPECT_EQ(a[0].pixels, b[0].pixels);
  EXPECT_EQ(a[1].labels, b[1].labels);
  const auto c = split_dataset(data, {{"train", -1}, {"validation", 30}}, 6);
  EXPECT_NE(a[1].pixels, c[1].pixels);
  // Disjoint and complete: every original image lands in exactly one part.
  std::multiset<std::vector<float>> seen;
  for (const auto& part : a)
    for (size_t i = 0; i < part.size(); ++i)
      seen.insert(std::vector<float>(part.image(i), part.image(i) + part.shape.numel()));
  std::multiset<std::vector<float>> original;
  for (size_t i = 0; i < data.size(); ++i)
    original.insert(std::vector<float>(data.image(i), data.image(i) + data.shape.numel()));
  EXPECT_EQ(seen, original);
}

TEST(Splits, RejectsImpossibleCounts) {
  const auto data = test::small_synthetic(100, 10).train;
  test::expect_user_error(
      [&] {
        split_dataset(data, {{"a", 60}, {"b", 50}}, 1);
      },
      "splits", "ask for 110 samples");
  test::expect_user_error(
      [&] {
        split_dataset(data, {{"a", -1}, {"b", -1}}, 1);
      },
      "splits", "only one part");
  test::expect_user_error(
      [&] {
        split_dataset(data, {{"a", 0}}, 1);
      },
      "splits.a", "positive count");
  test::expect_user_error(
      [&] {
        split_dataset(data, {{"a", 100}, {"rest", -1}}, 1);
      },
      "splits", "non-empty rest");
}

}  // namespace
}  // namespace poisonsim
