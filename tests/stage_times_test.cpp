// StageTimes: nested stages charge time to the innermost one, and the stages add up.
#include "sim/util/stage_times.h"

#include <chrono>
#include <thread>

#include <gtest/gtest.h>

namespace poisonsim {
namespace {

double seconds_of(const StageTimes& times, const std::string& stage) {
  for (const auto& [name, seconds] : times.seconds())
    if (name == stage) return seconds;
  return -1;
}

TEST(StageTimes, InnermostStageIsChargedAndStagesAddUp) {
  using std::chrono::milliseconds;
  StageTimes times;
  {
    StageTimes::Scope outer(&times, "outer");
    std::this_thread::sleep_for(milliseconds(5));
    {
      StageTimes::Scope inner(&times, "inner");
      std::this_thread::sleep_for(milliseconds(40));
    }
    StageTimes::Scope null_scope(nullptr, "ignored");  // outside a simulation: no effect
  }
  { StageTimes::Scope again(&times, "outer"); }
  const auto seconds = times.seconds();
  ASSERT_EQ(seconds.size(), 3u);  // in first-run order
  EXPECT_EQ(seconds[0].first, "other");
  EXPECT_EQ(seconds[1].first, "outer");
  EXPECT_EQ(seconds[2].first, "inner");
  // sleep_for waits at least as long as asked; the inner time is not counted twice.
  EXPECT_GE(seconds_of(times, "inner"), 0.040);
  EXPECT_GE(seconds_of(times, "outer"), 0.005);
  EXPECT_EQ(seconds_of(times, "ignored"), -1);
  double sum = 0;
  for (const auto& entry : seconds) sum += entry.second;
  EXPECT_GE(times.total(), sum);  // total() reads the clock again, a little later
  EXPECT_GE(times.total(), 0.045);
}

// elapsed() reads the clock from construction, apart from the switches seconds() sums: time lost
// or counted twice between stages (a scope that charges the wrong span) shows as a difference.
TEST(StageTimes, TheStagesAddUpToTheElapsedTime) {
  using std::chrono::milliseconds;
  StageTimes times;
  std::this_thread::sleep_for(milliseconds(10));  // "other", before any stage
  for (int round = 0; round < 3; ++round) {
    StageTimes::Scope outer(&times, "outer");
    std::this_thread::sleep_for(milliseconds(5));
    StageTimes::Scope inner(&times, round % 2 ? "odd" : "even");
    std::this_thread::sleep_for(milliseconds(5));
  }
  std::this_thread::sleep_for(milliseconds(10));
  double sum = 0;
  for (const auto& entry : times.seconds()) sum += entry.second;
  const double elapsed = times.elapsed();  // read after the sum's own clock reading
  EXPECT_GE(elapsed, 0.050);
  EXPECT_GE(elapsed, sum);
  EXPECT_NEAR(elapsed, sum, 0.002);
  EXPECT_GE(seconds_of(times, "other"), 0.020);
}

}  // namespace
}  // namespace poisonsim
