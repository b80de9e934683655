// What scenario keys do to a run, read back from its trace: a stream's label_noise, a stream's
// and an attacker's start/stop, evaluation.test_samples, retrain.buffer.clear_after_retrain, and
// an attacker's timing, budget_per_window and accumulate.
// Whole `poisonsim run`s of the tests' small synthetic scenario.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "pipeline/trace/trace_reader.h"
#include "tests/test_support.h"

namespace poisonsim {
namespace {

struct ScenarioEffects : ::testing::Test {
  // Runs share one pretrain cache, in a scratch directory rather than the user's.
  static void SetUpTestSuite() { setenv("POISONSIM_CACHE_DIR", cache().path().c_str(), 1); }
  static test::ScratchDir& cache() {
    static test::ScratchDir dir;
    return dir;
  }
  // The trace of the synthetic scenario with these --set values.
  TraceContents run(const std::string& name, const std::string& sets) {
    const std::string out = dir.file(name + ".h5");
    const auto result =
        test::run_poisonsim("--log-level warn run " + std::string(POISONSIM_SOURCE_DIR) +
                            "/tests/scenarios/synthetic-small.yaml " + sets + " --quiet -o " + out);
    EXPECT_EQ(result.exit_code, 0) << result.output;
    return read_trace(out);
  }
  test::ScratchDir dir;
};

// The share of the stream's samples that arrived with a label other than their own.
double relabelled_share(const TraceContents& trace, int64_t* clean = nullptr) {
  int64_t samples = 0, relabelled = 0;
  for (const auto& s : trace.samples) {
    if (s.is_poison) continue;
    samples += 1;
    relabelled += s.label != s.true_label;
    EXPECT_GE(s.label, 0);
    EXPECT_LT(s.label, 10);
  }
  if (clean) *clean = samples;
  return samples ? static_cast<double>(relabelled) / static_cast<double>(samples) : NAN;
}

TEST_F(ScenarioEffects, LabelNoiseRelabelsThatShareOfTheStreamsSamples) {
  int64_t clean = 0;
  const double noisy =
      relabelled_share(run("noisy", "--set duration=60 --set streams.0.label_noise=0.25"), &clean);
  ASSERT_GT(clean, 1500);  // 2 batches of 16 a second
  EXPECT_NEAR(noisy, 0.25, 5 * std::sqrt(0.25 * 0.75 / static_cast<double>(clean)));
  EXPECT_EQ(relabelled_share(run("clean", "--set duration=60")), 0.0);
}

std::vector<double> batch_times(const TraceContents& trace, const std::string& kind) {
  std::vector<double> times;
  for (const auto& e : trace.events)
    if (trace_name(e.kind) == kind) times.push_back(e.time);
  return times;
}

TEST_F(ScenarioEffects, StartAndStopBoundArrivals) {
  // The stream arrives every 0.5 s: the first one gap after start, none at or after stop.
  const auto trace = run("window",
                         "--set duration=100 --set streams.0.start=30 "
                         "--set streams.0.stop=60 --set attackers.0.start=50 "
                         "--set attackers.0.stop=70");
  const auto stream = batch_times(trace, "stream-batch");
  ASSERT_EQ(stream.size(), 59u);
  EXPECT_DOUBLE_EQ(stream.front(), 30.5);
  EXPECT_DOUBLE_EQ(stream.back(), 59.5);
  const auto poison = batch_times(trace, "poison-batch");
  ASSERT_FALSE(poison.empty());  // rate 0.3 over 20 s
  for (double t : poison) {
    EXPECT_GT(t, 50.0);
    EXPECT_LT(t, 70.0);
  }
  // Without a window both come from the start to the end.
  const auto always = run("always", "--set duration=100");
  EXPECT_LT(batch_times(always, "stream-batch").front(), 1.0);
  EXPECT_GT(batch_times(always, "stream-batch").back(), 99.0);
  EXPECT_LT(batch_times(always, "poison-batch").front(), 30.0);
}

TEST_F(ScenarioEffects, EvaluationTestSamplesIsTheSizeOfTheTestSet) {
  const auto part = run("part", "--set duration=40 --set evaluation.test_samples=100");
  ASSERT_FALSE(part.evaluations.empty());
  for (const auto& e : part.evaluations) {
    EXPECT_EQ(e.samples, 100);
    EXPECT_NEAR(e.accuracy * 100, std::round(e.accuracy * 100), 1e-9);  // k of 100
  }
  // Unset, or more than there are: the whole test set (300 synthetic images).
  for (const auto& e : run("whole", "--set duration=40").evaluations) EXPECT_EQ(e.samples, 300);
  for (const auto& e :
       run("more", "--set duration=40 --set evaluation.test_samples=5000").evaluations)
    EXPECT_EQ(e.samples, 300);
}

// Walks the events in order: each retrain's buffer holds what the guard accepted since the last
// retrain (cleared) or since the start (kept), as long as the buffer has room.
void expect_buffer_sizes(const TraceContents& trace, bool cleared) {
  int64_t accepted = 0;
  size_t retrain = 0;
  for (const auto& e : trace.events) {
    if (e.batch_id >= 0) accepted += e.accepted;
    if (trace_name(e.kind) != "retrain") continue;
    ASSERT_LT(retrain, trace.retrains.size());
    EXPECT_EQ(trace.retrains[retrain].buffer_size, accepted) << "retrain " << retrain;
    retrain += 1;
    if (cleared) accepted = 0;
  }
  EXPECT_EQ(retrain, trace.retrains.size());
  EXPECT_GE(retrain, 4u);
}

TEST_F(ScenarioEffects, ClearAfterRetrainFalseKeepsTheBufferAcrossRetrains) {
  expect_buffer_sizes(run("cleared", "--set duration=100"), true);
  const auto kept =
      run("kept", "--set duration=100 --set retrain.buffer.clear_after_retrain=false");
  expect_buffer_sizes(kept, false);
  for (size_t k = 1; k < kept.retrains.size(); ++k)
    EXPECT_GT(kept.retrains[k].buffer_size, kept.retrains[k - 1].buffer_size);
}

// The synthetic scenario retrains every 20 s; its attacker sends a batch of 8 at rate 0.3.
TEST_F(ScenarioEffects, TimingSendsPoisonOnlyInItsSpan) {
  const auto before = batch_times(
      run("before", "--set duration=200 --set attackers.0.timing=before-retrain "
                    "--set attackers.0.timing_span=5"),
      "poison-batch");
  ASSERT_GE(before.size(), 3u);
  for (double t : before) EXPECT_LE(std::ceil(t / 20) * 20 - t, 5.0) << t;

  const auto after_trace = run("after", "--set duration=200 --set attackers.0.timing=after-deploy "
                                        "--set attackers.0.timing_span=5");
  std::vector<double> deployed{0.0};
  for (const auto& r : after_trace.retrains)
    if (r.deployed) deployed.push_back(r.time);
  const auto after = batch_times(after_trace, "poison-batch");
  ASSERT_GE(after.size(), 3u);
  for (double t : after) {
    double latest = 0;
    for (double d : deployed)
      if (d <= t) latest = d;
    EXPECT_LE(t - latest, 5.0) << t;
  }
  // Uniform timing sends outside those spans too.
  const auto uniform = batch_times(run("uniform", "--set duration=200"), "poison-batch");
  EXPECT_TRUE(std::any_of(uniform.begin(), uniform.end(), [](double t) {
    return std::ceil(t / 20) * 20 - t > 5 && t - std::floor(t / 20) * 20 > 5;
  }));
}

// timing: verdicts. Arrivals are judged in bulk before each retrain (every 20 s here), so the
// attacker knows the verdicts on its first window from 20 s on. Against the oracle, which rejects
// all of it, it then holds back, sending one batch in 8 arrivals to probe; with no guard it sends
// at every arrival, exactly as uniform timing does.
TEST_F(ScenarioEffects, VerdictTimingHoldsBackWhileTheGuardRejectsItsPoison) {
  const std::string sets = "--set duration=200 --set attackers.0.arrival.rate=1 ";
  const auto uniform =
      batch_times(run("uniform", sets + "--set 'guard={type: oracle}'"), "poison-batch");
  const auto held_trace =
      run("held", sets + "--set 'guard={type: oracle}' --set attackers.0.timing=verdicts");
  const auto held = batch_times(held_trace, "poison-batch");
  const auto before = [](const std::vector<double>& times, double t) {
    return static_cast<size_t>(std::count_if(times.begin(), times.end(),
                                              [t](double x) { return x < t; }));
  };
  ASSERT_GE(before(uniform, 20), 10u);
  EXPECT_EQ(before(held, 20), before(uniform, 20));
  const double later_arrivals = static_cast<double>(uniform.size() - before(uniform, 20));
  const double later_sent = static_cast<double>(held.size() - before(held, 20));
  EXPECT_NEAR(later_sent, later_arrivals / 8, 10) << later_arrivals << " arrivals after 20 s";
  size_t holds = 0;
  for (const auto& e : held_trace.events)
    if (trace_name(e.kind) == "timing-hold") {
      ++holds;
      EXPECT_GE(e.time, 20.0);  // decided at the first arrival after the first retrain
      EXPECT_LT(e.time, 40.0);
      EXPECT_EQ(e.accepted, 0);
      EXPECT_GT(e.rejected, 0);
    }
  EXPECT_EQ(holds, 1u);  // it never saw an accepted sample again
  const auto free_uniform =
      batch_times(run("free-uniform", sets + "--set 'guard={type: none}'"), "poison-batch");
  const auto free_verdicts = batch_times(
      run("free-verdicts", sets + "--set 'guard={type: none}' --set attackers.0.timing=verdicts"),
      "poison-batch");
  EXPECT_EQ(free_verdicts, free_uniform);
}

TEST_F(ScenarioEffects, BudgetPerWindowCapsEachRetrainingWindow) {
  const auto trace = run("capped", "--set duration=200 --set attackers.0.budget_per_window=12 "
                                   "--set attackers.0.arrival.rate=1");
  std::vector<int64_t> per_window(10);
  for (const auto& e : trace.events)
    if (trace_name(e.kind) == "poison-batch")
      per_window[static_cast<size_t>(e.time / 20)] += e.size;
  for (size_t w = 0; w < per_window.size(); ++w) EXPECT_LE(per_window[w], 12) << w;
  // At rate 1 (about 20 batches of 8 a window) every window spends it all: 8, then 4.
  EXPECT_EQ(std::count(per_window.begin(), per_window.end(), 12), 10);
}

// The accumulative attacker (retrains every 20 s, trigger from 60 s): one `stealth` row per
// window it sends in before the trigger, naming the dose its simulation of the victim allowed;
// no window sends more than its dose; then a `trigger` row, arrivals up to the next retrain at
// 80 s, and nothing after.
TEST_F(ScenarioEffects, AccumulateDosesEachWindowThenTriggersOnceAndStops) {
  const auto trace = run("accumulative", "--set duration=120 --set attackers.0.arrival.rate=1 "
                                         "--set 'attackers.0.accumulate={trigger_at: 60}'");
  std::vector<int64_t> dose(6, -1), sent(6, 0);
  std::vector<double> triggers;
  for (const auto& e : trace.events) {
    const auto kind = trace_name(e.kind);
    const auto window = static_cast<size_t>(e.time / 20);
    if (kind == "stealth") {
      EXPECT_EQ(trace_name(e.source), "flipper");
      EXPECT_EQ(dose[window], -1) << "two plans for window " << window;
      dose[window] = e.size;
    } else if (kind == "trigger") {
      triggers.push_back(e.time);
    } else if (kind == "poison-batch") {
      sent[window] += e.size;
    }
  }
  for (size_t w = 0; w < 3; ++w) {
    ASSERT_GE(dose[w], 0) << "no plan for window " << w;
    EXPECT_LE(sent[w], dose[w]) << w;
  }
  // The doses are not all zero: on synthetic data some flips pass the default gate.
  EXPECT_GT(dose[0] + dose[1] + dose[2], 0);
  ASSERT_EQ(triggers.size(), 1u);
  EXPECT_GE(triggers[0], 60.0);
  EXPECT_LT(triggers[0], 80.0);
  EXPECT_GT(sent[3], 0);
  EXPECT_EQ(sent[4] + sent[5], 0);
}

}  // namespace
}  // namespace poisonsim
