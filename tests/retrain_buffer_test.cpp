// The retraining buffer (pipeline/simulation/retrain_buffer.h): what it keeps once full, by
// eviction rule, and what clear() resets. Each sample here is one pixel holding its own index,
// so the kept samples can be named.
#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "pipeline/scenario/scenario.h"
#include "pipeline/simulation/retrain_buffer.h"
#include "sim/kernel/state_archive.h"

namespace poisonsim {
namespace {

constexpr ImageShape kPixel{1, 1, 1};

RetrainBuffer buffer_of(int64_t capacity, Eviction eviction, uint64_t seed = 1) {
  return RetrainBuffer(kPixel, 10, capacity, eviction, RandomStream(seed));
}

// Offers samples first..last-1; sample i has pixel i, label i % 10, poison when i is odd.
void offer(RetrainBuffer& buffer, int first, int last) {
  for (int i = first; i < last; ++i) {
    const auto pixel = static_cast<float>(i);
    buffer.add(&pixel, i % 10, i % 2 == 1);
  }
}

std::vector<int> kept(const RetrainBuffer& buffer) {
  std::vector<int> out;
  for (size_t slot = 0; slot < buffer.size(); ++slot)
    out.push_back(static_cast<int>(*buffer.contents().image(slot)));
  return out;
}

TEST(RetrainBuffer, FifoOverwritesTheOldestSlotInTurn) {
  auto buffer = buffer_of(3, Eviction::fifo);
  offer(buffer, 0, 3);
  EXPECT_EQ(kept(buffer), (std::vector<int>{0, 1, 2}));
  offer(buffer, 3, 5);  // 3 replaces 0 (the oldest), then 4 replaces 1
  EXPECT_EQ(kept(buffer), (std::vector<int>{3, 4, 2}));
  offer(buffer, 5, 7);  // 5 replaces 2, then the turn wraps: 6 replaces 3
  EXPECT_EQ(kept(buffer), (std::vector<int>{6, 4, 5}));
  EXPECT_EQ(buffer.contents().labels, (std::vector<int64_t>{6, 4, 5}));  // labels move along
  EXPECT_EQ(buffer.poison_count(), 1);                                   // only 5 is odd
  EXPECT_EQ(buffer.size(), 3u);
}

TEST(RetrainBuffer, ClearEmptiesItAndRestartsTheTurn) {
  auto buffer = buffer_of(3, Eviction::fifo);
  offer(buffer, 0, 4);  // the next slot to overwrite is 1
  buffer.clear();
  EXPECT_EQ(buffer.size(), 0u);
  EXPECT_EQ(buffer.poison_count(), 0);
  offer(buffer, 10, 14);  // fills 0..2 again, then 13 overwrites slot 0, not slot 1
  EXPECT_EQ(kept(buffer), (std::vector<int>{13, 11, 12}));
}

// A sanitizer's removal: the survivors keep their age order and their poison flags and trace
// rows, and a full fifo buffer that lost samples evicts its oldest survivor first once full again.
TEST(RetrainBuffer, RemoveKeepsTheSurvivorsOldestFirst) {
  auto buffer = buffer_of(4, Eviction::fifo);
  for (int i = 0; i < 6; ++i) {  // 4 and 5 replace 0 and 1: slots hold 4, 5, 2, 3
    const auto pixel = static_cast<float>(i);
    buffer.add(&pixel, i % 10, i % 2 == 1, 100 + i, i % 2 == 1 ? "attacker" : "stream");
  }
  EXPECT_EQ(kept(buffer), (std::vector<int>{4, 5, 2, 3}));
  buffer.remove({0, 1, 0, 0});                           // drops 5
  EXPECT_EQ(kept(buffer), (std::vector<int>{2, 3, 4}));  // oldest first
  EXPECT_EQ(buffer.sample_row(0), 102);
  EXPECT_EQ(buffer.sample_row(2), 104);
  // Each survivor keeps its source (names in order of first arrival).
  EXPECT_EQ(buffer.source_names(), (std::vector<std::string>{"stream", "attacker"}));
  EXPECT_EQ(buffer.sources(), (std::vector<int32_t>{0, 1, 0}));
  EXPECT_TRUE(buffer.is_poison(1));  // 3
  EXPECT_EQ(buffer.poison_count(), 1);
  offer(buffer, 7, 9);  // 7 fills the free slot, then 8 evicts the oldest, 2
  EXPECT_EQ(kept(buffer), (std::vector<int>{8, 3, 4, 7}));
  buffer.remove({0, 0, 0, 0});  // nothing dropped: nothing moves
  EXPECT_EQ(kept(buffer), (std::vector<int>{8, 3, 4, 7}));
}

// Vitter's algorithm R keeps each of the N samples offered since the last clear with
// probability capacity / N, wherever it came in the order; fifo would keep the last ones.
TEST(RetrainBuffer, ReservoirKeepsAUniformSampleOfEverythingOffered) {
  constexpr int kOffered = 100, kCapacity = 10, kTrials = 4000;
  std::vector<int> times_kept(kOffered, 0);
  for (int trial = 0; trial < kTrials; ++trial) {
    auto buffer = buffer_of(kCapacity, Eviction::reservoir, 1000 + trial);
    offer(buffer, 0, kOffered);
    ASSERT_EQ(buffer.size(), static_cast<size_t>(kCapacity));
    for (int i : kept(buffer)) times_kept[i] += 1;
  }
  const double p = static_cast<double>(kCapacity) / kOffered;
  const double sd = std::sqrt(p * (1 - p) / kTrials);  // of one sample's kept fraction
  double first = 0, last = 0;
  for (int i = 0; i < kOffered; ++i) {
    const double fraction = static_cast<double>(times_kept[i]) / kTrials;
    EXPECT_NEAR(fraction, p, 5 * sd) << "sample " << i;
    if (i < kCapacity) first += fraction;
    if (i >= kOffered - kCapacity) last += fraction;
  }
  // Neither the samples that filled it nor the latest are favoured (10 samples each: sd / 3).
  EXPECT_NEAR(first / kCapacity, p, 5 * sd / std::sqrt(10.0));
  EXPECT_NEAR(last / kCapacity, p, 5 * sd / std::sqrt(10.0));
}

TEST(RetrainBuffer, ReservoirIsAPureFunctionOfItsStreamAndRestartsAfterClear) {
  auto a = buffer_of(5, Eviction::reservoir, 7), b = buffer_of(5, Eviction::reservoir, 7);
  offer(a, 0, 50);
  offer(b, 0, 50);
  EXPECT_EQ(kept(a), kept(b));
  // After clear() the count of offered samples restarts: the next 5 fill it, all kept.
  a.clear();
  offer(a, 100, 105);
  EXPECT_EQ(kept(a), (std::vector<int>{100, 101, 102, 103, 104}));
}

// retrain.buffer.keep_windows: after each retrain, the samples of windows older than the last
// W are dropped; the rest keep their age order, and checkpoints carry each sample's window.
TEST(RetrainBuffer, AWindowLimitKeepsTheLastWindowsOnly) {
  auto buffer = buffer_of(100, Eviction::fifo);
  buffer.set_window_limit(2);
  offer(buffer, 0, 3);
  buffer.end_window();
  EXPECT_EQ(kept(buffer), (std::vector<int>{0, 1, 2}));  // windows 0 and 1 (empty yet)
  offer(buffer, 3, 5);
  buffer.end_window();
  EXPECT_EQ(kept(buffer), (std::vector<int>{3, 4}));
  offer(buffer, 5, 6);
  StateOut out;
  buffer.save_state(out);
  auto restored = buffer_of(100, Eviction::fifo);
  restored.set_window_limit(2);
  StateIn in(out.bytes(), "test");
  restored.load_state(in);
  in.expect_end();
  for (auto* b : {&buffer, &restored}) {
    b->end_window();
    EXPECT_EQ(kept(*b), (std::vector<int>{5}));
  }
}

TEST(RetrainBuffer, WithoutAWindowLimitEndingAWindowKeepsEverything) {
  auto buffer = buffer_of(4, Eviction::fifo);
  offer(buffer, 0, 3);
  buffer.end_window();
  offer(buffer, 3, 6);  // full: the oldest go
  buffer.end_window();
  EXPECT_EQ(kept(buffer).size(), 4u);
}

}  // namespace
}  // namespace poisonsim
