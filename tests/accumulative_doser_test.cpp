// The accumulative attacker's plan (pipeline/simulation/accumulative_doser.h) on a small
// synthetic task: each stealth window's dose is the largest the gate's limits allow in the
// attacker's simulation, a refused window backs off, the trigger window sends everything and
// then the attacker stops, and a checkpoint restores the plan.
#include "pipeline/simulation/accumulative_doser.h"

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include "attackers/baselines/label_flip.h"
#include "pipeline/model/target_model.h"
#include "pipeline/model/training.h"
#include "sim/kernel/random_stream.h"
#include "sim/kernel/state_archive.h"
#include "tests/test_support.h"

namespace poisonsim {
namespace {

struct Task {
  TrainTestData data = test::small_synthetic(600, 300);
  TargetModel model = [this] {
    auto m = TargetModel::create(ModelSpec{}, 1);
    TrainOptions pretrain;
    pretrain.epochs = 3;
    train_model(m, data.train, pretrain);
    return m;
  }();
};

const Task& task() {
  static const Task t;
  return t;
}

// A plan for windows of 200 clean samples and up to 200 next-class flips, with the gate's loss
// limit `limit` (nats), at full safety.
AccumulateSpec plan(double limit, double trigger_at = 1e9) {
  AccumulateSpec spec;
  spec.trigger_at = trigger_at;
  spec.max_loss_increase = limit;
  spec.safety = 1.0;
  spec.window_clean = 200;
  spec.window_poison = 200;
  spec.search_steps = 8;
  return spec;
}

AccumulativeDoser doser(double limit, double trigger_at = 1e9) {
  return AccumulativeDoser(std::make_unique<LabelFlipAttacker>(PoisonLabels::next_class),
                           plan(limit, trigger_at));
}

struct Arrivals {
  RandomStream rng{11};
  std::vector<std::pair<std::string, int64_t>> phases;
  AttackContext at(double now, int64_t window, int64_t version) {
    AttackContext c{task().model, task().data.train, task().data.test, rng, now, version};
    c.window = window;
    c.record_phase = [this](const std::string& kind, int64_t size) {
      phases.emplace_back(kind, size);
    };
    return c;
  }
};

// All the poison an arrival pattern of `batch` samples gets in one window.
int64_t sent_in_window(AccumulativeDoser& d, Arrivals& a, int64_t window, int64_t version,
                       int64_t batch = 32) {
  int64_t sent = 0;
  for (int i = 0; i < 20; ++i) {
    auto c = a.at(10.0 * static_cast<double>(window) + 0.1 * i, window, version);
    sent += static_cast<int64_t>(d.generate(c, batch).samples.size());
  }
  return sent;
}

TEST(AccumulativeDoser, EachWindowGetsTheLargestDoseTheGateAllowsInItsSimulation) {
  std::vector<int64_t> doses;
  for (double limit : {1e-4, 0.05, 100.0}) {
    auto d = doser(limit);
    Arrivals a;
    const int64_t sent = sent_in_window(d, a, 0, 0);
    ASSERT_EQ(a.phases.size(), 1u);
    EXPECT_EQ(a.phases[0].first, "stealth");
    EXPECT_EQ(a.phases[0].second, d.last_dose());  // the events row says what was planned
    EXPECT_EQ(sent, d.last_dose());                // and the arrivals sent exactly that
    doses.push_back(sent);
  }
  // With no effective limit the whole window's candidates go; a limit below what the flips cost
  // holds the dose back, and a looser limit never allows less than a tighter one.
  EXPECT_EQ(doses[2], 200);
  EXPECT_LT(doses[0], 200);
  EXPECT_LE(doses[0], doses[1]);
  EXPECT_LE(doses[1], doses[2]);
}

TEST(AccumulativeDoser, ARefusedWindowBacksOffAndTheTriggerWindowEndsTheAttack) {
  auto d = doser(100.0, /*trigger_at=*/30);
  Arrivals a;
  EXPECT_EQ(sent_in_window(d, a, 0, 0), 200);
  // The retrain after window 0 was refused: the model's version is still 0 in window 1, so
  // doses are capped at half the refused one.
  EXPECT_EQ(sent_in_window(d, a, 1, 0), 100);
  ASSERT_GE(a.phases.size(), 3u);
  EXPECT_EQ(a.phases[1], std::make_pair(std::string("backoff"), int64_t{100}));
  EXPECT_DOUBLE_EQ(d.cap(), 100);
  // Window 1 was deployed (version 1): no backoff, and the cap grows by 1.25.
  EXPECT_EQ(sent_in_window(d, a, 2, 1), 125);
  EXPECT_EQ(a.phases.back(), std::make_pair(std::string("stealth"), int64_t{125}));
  EXPECT_DOUBLE_EQ(d.cap(), 125);
  // From time 30 (window 3) every arrival sends what it asks for, with no dose.
  EXPECT_EQ(sent_in_window(d, a, 3, 2), 20 * 32);
  EXPECT_EQ(a.phases.back(), std::make_pair(std::string("trigger"), int64_t{32}));
  EXPECT_EQ(d.phase(), AccumulativeDoser::Phase::trigger);
  EXPECT_FALSE(d.exhausted());
  // The next window: the attack is over.
  auto after = a.at(40, 4, 3);
  EXPECT_TRUE(d.generate(after, 32).samples.empty());
  EXPECT_TRUE(d.exhausted());
}

TEST(AccumulativeDoser, ACheckpointRestoresThePlanAndItsDose) {
  auto first = doser(0.05);
  Arrivals a;
  auto c = a.at(0, 0, 0);
  first.generate(c, 16);
  StateOut out;
  out.put(a.rng);
  first.save_state(out);
  const auto expected = first.generate(c, 64);

  auto resumed = doser(0.05);
  Arrivals b;
  StateIn in(out.bytes(), "test checkpoint");
  in.get(b.rng);
  resumed.load_state(in);
  auto c_b = b.at(0, 0, 0);
  const auto batch = resumed.generate(c_b, 64);
  EXPECT_TRUE(b.phases.empty());  // served from the restored dose, not planned again
  EXPECT_EQ(resumed.last_dose(), first.last_dose());
  EXPECT_EQ(batch.samples.pixels, expected.samples.pixels);
  EXPECT_EQ(batch.samples.labels, expected.samples.labels);
}

TEST(AccumulativeDoser, ASavedPlanWithAnUnknownPhaseIsRefused) {
  StateOut out;
  out(false);  // the label-flip attacker's own state: no evasion
  out.section("accumulative plan");
  out(int64_t{7}, 1.0, int64_t{0}, int64_t{0}, int64_t{0}, int64_t{-1}, uint64_t{0});
  auto d = AccumulativeDoser(std::make_unique<LabelFlipAttacker>(PoisonLabels::next_class),
                             plan(1.0));
  StateIn in(out.bytes(), "bad checkpoint");
  test::expect_user_error([&] { d.load_state(in); }, "bad checkpoint", "unknown phase");
}

}  // namespace
}  // namespace poisonsim
