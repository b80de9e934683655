#include "attackers/label_flip.h"

#include <gtest/gtest.h>

#include "sim/random_stream.h"
#include "tests/test_support.h"

namespace poisonsim {
namespace {

TEST(LabelFlip, EveryLabelBecomesWrongImagesStay) {
  const auto seeds = test::small_synthetic(200, 10).train;
  for (auto rule : {FlipRule::next_class, FlipRule::random_other}) {
    RandomStream rng(3);
    const auto poison = flip_labels(seeds, rule, rng);
    ASSERT_EQ(poison.size(), seeds.size());
    EXPECT_EQ(poison.pixels, seeds.pixels);
    for (size_t i = 0; i < seeds.size(); ++i) {
      EXPECT_NE(poison.labels[i], seeds.labels[i]);
      EXPECT_GE(poison.labels[i], 0);
      EXPECT_LT(poison.labels[i], 10);
      if (rule == FlipRule::next_class) {
        EXPECT_EQ(poison.labels[i], (seeds.labels[i] + 1) % 10);
      }
    }
  }
}

TEST(LabelFlip, RandomOtherUsesEveryOtherClassDeterministically) {
  const auto seeds = test::small_synthetic(900, 10).train;
  RandomStream rng_a(5), rng_b(5);
  const auto a = flip_labels(seeds, FlipRule::random_other, rng_a);
  EXPECT_EQ(a.labels, flip_labels(seeds, FlipRule::random_other, rng_b).labels);
  std::vector<int> shifts(10, 0);
  for (size_t i = 0; i < seeds.size(); ++i)
    ++shifts[static_cast<size_t>((a.labels[i] - seeds.labels[i] + 10) % 10)];
  EXPECT_EQ(shifts[0], 0);
  for (int s = 1; s < 10; ++s) EXPECT_GT(shifts[static_cast<size_t>(s)], 60);
}

TEST(LabelFlip, ParsesRuleNames) {
  EXPECT_EQ(parse_flip_rule("next-class", "x"), FlipRule::next_class);
  test::expect_user_error([] { parse_flip_rule("swap", "attackers.0.labels"); },
                          "attackers.0.labels", "expected next-class or random-other");
}

}  // namespace
}  // namespace poisonsim
