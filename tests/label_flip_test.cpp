#include "attackers/baselines/label_flip.h"

#include <set>

#include <gtest/gtest.h>

#include "attackers/common/seed_samples.h"
#include "pipeline/model/target_model.h"
#include "sim/kernel/random_stream.h"
#include "tests/test_support.h"

namespace poisonsim {
namespace {

TEST(PoisonLabels, RulesGiveTheRightLabels) {
  RandomStream rng(3);
  const std::vector<int64_t> seeds{0, 1, 2, 9, 9, 5};
  EXPECT_EQ(poison_labels(seeds, PoisonLabels::seed, 10, rng), seeds);
  EXPECT_EQ(poison_labels(seeds, PoisonLabels::next_class, 10, rng),
            (std::vector<int64_t>{1, 2, 3, 0, 0, 6}));
  std::vector<int64_t> many(900);
  for (size_t i = 0; i < many.size(); ++i) many[i] = static_cast<int64_t>(i % 10);
  const auto other = poison_labels(many, PoisonLabels::random_other, 10, rng);
  std::vector<int> shifts(10, 0);
  for (size_t i = 0; i < many.size(); ++i)
    ++shifts[static_cast<size_t>((other[i] - many[i] + 10) % 10)];
  EXPECT_EQ(shifts[0], 0);
  for (int s = 1; s < 10; ++s) EXPECT_GT(shifts[static_cast<size_t>(s)], 60);
  test::expect_user_error([] { parse_poison_labels("swap", "attackers.0.labels"); },
                          "attackers.0.labels",
                          "expected seed, next-class, random-other or objective");
}

TEST(LabelFlip, FlipsEveryLabelAndKeepsImages) {
  const auto pool = test::small_synthetic(200, 10).train;
  const auto model = TargetModel::create(ModelSpec{}, 1);
  RandomStream rng(4);
  AttackContext context{model, pool, pool, rng, 0, 0};
  LabelFlipAttacker attacker(PoisonLabels::next_class);
  const auto batch = attacker.generate(context, 50);
  ASSERT_EQ(batch.samples.size(), 50u);
  for (size_t i = 0; i < 50; ++i) {
    EXPECT_EQ(batch.samples.labels[i], (batch.seeds.labels[i] + 1) % 10);
  }
}

TEST(LabelFlip, SeedsAreDistinctWhileThePoolLasts) {
  const auto pool = test::small_synthetic(100, 10).train;
  RandomStream rng(5);
  const auto seeds = draw_seed_samples(pool, 100, rng);
  std::set<std::vector<float>> distinct;
  for (size_t i = 0; i < seeds.size(); ++i)
    distinct.insert(std::vector<float>(seeds.image(i), seeds.image(i) + seeds.shape.numel()));
  EXPECT_EQ(distinct.size(), 100u);
  EXPECT_EQ(draw_seed_samples(pool, 250, rng).size(), 250u);
}

}  // namespace
}  // namespace poisonsim
