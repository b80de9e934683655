// The generative method beyond the paper: the victim-aware objective (G trained through steps
// that mix its output with clean samples, attackers/common/victim_retraining.h) and the residual
// generator (a bounded change to each seed, which keeps the seeds' variety).
#include <algorithm>
#include <cmath>

#include <gtest/gtest.h>

#include "attackers/generative/generative_attack.h"
#include "attackers/common/poison_stats.h"
#include "attackers/common/seed_samples.h"
#include "sim/kernel/random_stream.h"
#include "tests/attacker_block.h"
#include "tests/generative_support.h"

namespace poisonsim {
namespace {

using test::small_options;
using test::SyntheticSetup;

std::vector<float> poison_for(const SyntheticSetup& setup, const GenerativeOptions& options) {
  const AttackProblem problem{setup.model, setup.data.test, 0.1};
  GenerativeAttack attack;
  RandomStream rng(5);
  attack.train(problem, setup.data.train, options, rng);
  RandomStream seed_rng(6);
  const Dataset seeds = draw_seed_samples(setup.data.train, 100, seed_rng);
  return attack.generate(seeds, rng).samples.pixels;
}

TEST(GenerativeVictimAware, MixingChangesTrainingAndAShareOfOneIsThePaperObjective) {
  const SyntheticSetup setup;
  for (auto rule : {GenerativeRule::unrolled, GenerativeRule::first_order}) {
    SCOPED_TRACE(to_string(rule));
    GenerativeOptions paper = small_options(rule);
    paper.steps = 12;
    paper.select_every = 6;  // selection measures mixed damage when victim-aware
    const auto paper_poison = poison_for(setup, paper);
    GenerativeOptions all_poison = paper;
    all_poison.victim.objective = AttackObjective::victim_aware;
    all_poison.victim.poison_share = 1;  // no clean sample joins any step: the paper's steps
    EXPECT_EQ(poison_for(setup, all_poison), paper_poison);
    GenerativeOptions mixed = all_poison;
    mixed.victim.poison_share = 0.25;
    EXPECT_NE(poison_for(setup, mixed), paper_poison);
  }
}

TEST(GenerativeResidual, OutputStaysWithinTheBoundOfItsSeedAndKeepsTheirSpread) {
  const SyntheticSetup setup;
  GenerativeOptions options = small_options(GenerativeRule::unrolled);
  options.steps = 80;
  options.generator.residual = 0.2;
  const AttackProblem problem{setup.model, setup.data.test, 0.1};
  GenerativeAttack attack;
  RandomStream rng(7);
  GenerativeReport report;
  attack.train(problem, setup.data.train, options, rng, &report);
  RandomStream seed_rng(8);
  const Dataset seeds = draw_seed_samples(setup.data.train, 200, seed_rng);
  const auto poison = attack.generate(seeds, rng).samples;
  double largest = 0;
  for (size_t i = 0; i < poison.pixels.size(); ++i) {
    ASSERT_GE(poison.pixels[i], 0.0f);
    ASSERT_LE(poison.pixels[i], 1.0f);
    largest = std::max(largest, std::abs(double(poison.pixels[i]) - seeds.pixels[i]));
  }
  EXPECT_LE(largest, 0.2 + 1e-6);
  EXPECT_GT(largest, 0.01);  // G did move its seeds
  RandomStream pair_rng(9);
  const PoisonStats stats = poison_stats(poison, seeds, pair_rng);
  EXPECT_GE(stats.mean_pairwise_l2, 0.5 * stats.seed_pairwise_l2);
  EXPECT_GE(report.spread.mean_pairwise_l2, 0.5 * report.spread.seed_pairwise_l2);
}

TEST(GenerativeVariants, ScenarioKeysAreReadAndChecked) {
  auto parse = [](const std::string& yaml) {
    return test::parse_attacker_block("generative", yaml);
  };
  EXPECT_NO_THROW(parse("{objective: victim-aware, poison_share: 0.2, residual: 0.3}"));
  test::expect_user_error([&] { parse("{objective: exact}"); }, "attackers.0.objective", "paper");
  test::expect_user_error([&] { parse("{poison_share: 0}"); }, "attackers.0.poison_share",
                          "expected a number from 1e-06 to 1");
  test::expect_user_error([&] { parse("{residual: 1.5}"); }, "attackers.0.residual",
                          "from 0 to 1");
}

}  // namespace
}  // namespace poisonsim
