// The defense-aware attacker (`defense_aware: known`; pipeline/simulation/known_defense.h): the
// projection into a defense's acceptance region along the line from each seed, and on
// Fashion-MNIST, what it does to a k-NN guard's detection of the generative method's poison.
#include <algorithm>
#include <numeric>
#include <string>

#include <gtest/gtest.h>

#include "pipeline/simulation/known_defense.h"
#include "pipeline/trace/run_metrics.h"
#include "pipeline/trace/trace_reader.h"
#include "tests/test_support.h"

namespace poisonsim {
namespace {

Dataset filled(size_t n, float value) {
  Dataset d;
  d.shape = {1, 2, 2};
  d.pixels.assign(n * 4, value);
  d.labels.assign(n, 1);
  return d;
}

float mean_pixel(const Dataset& d, size_t i) {
  return std::accumulate(d.image(i), d.image(i) + 4, 0.0f) / 4;
}

// Accepts an image whose mean pixel is at most `limit`.
AcceptsFn mean_at_most(float limit, int* calls = nullptr) {
  return [=](const Dataset& batch) {
    if (calls) ++*calls;
    std::vector<uint8_t> ok(batch.size());
    for (size_t i = 0; i < batch.size(); ++i) ok[i] = mean_pixel(batch, i) <= limit;
    return ok;
  };
}

TEST(DefenseProjection, PullsRejectedSamplesToTheEdgeOfTheAcceptedRegion) {
  Dataset samples = filled(3, 1.0f);
  std::fill_n(samples.image(1), 4, 0.2f);  // already accepted: left alone
  const Dataset seeds = filled(3, 0.0f);
  int calls = 0;
  const auto counts = project_into_defense(mean_at_most(0.5f, &calls), samples, seeds);
  EXPECT_EQ(counts.projected, 2);
  EXPECT_EQ(counts.seeds, 0);
  for (size_t i : {0u, 2u}) {
    EXPECT_LE(mean_pixel(samples, i), 0.5f);
    EXPECT_GT(mean_pixel(samples, i), 0.5f - 1e-4f);
  }
  EXPECT_FLOAT_EQ(mean_pixel(samples, 1), 0.2f);
  EXPECT_EQ(calls, 16);  // the batch, the seeds, 14 halvings
}

TEST(DefenseProjection, ASampleWhoseSeedIsRejectedIsSentAsItsSeed) {
  Dataset samples = filled(1, 1.0f);
  const Dataset seeds = filled(1, 0.8f);
  const auto counts = project_into_defense(mean_at_most(0.5f), samples, seeds);
  EXPECT_EQ(counts.projected, 1);
  EXPECT_EQ(counts.seeds, 1);
  EXPECT_FLOAT_EQ(mean_pixel(samples, 0), 0.8f);
}

// The quickstart's generative attacker behind a k-NN guard alone, 240 s, seed 1.
double poison_rejected(const test::ScratchDir& dir, const std::string& name,
                       const std::string& extra) {
  const auto trace = dir.file(name + ".h5");
  const auto run = test::run_poisonsim(
      "--log-level warn run " + std::string(POISONSIM_SOURCE_DIR) +
      "/scenarios/quickstart.yaml --quiet --set duration=240 --set 'guard={type: knn}' "
      "--set 'gate={type: none}' -o " +
      trace + " " + extra);
  EXPECT_EQ(run.exit_code, 0) << run.output;
  const RunMetrics m = compute_run_metrics(TraceReader(trace));
  EXPECT_GT(m.poison_samples, 200);
  return m.true_positive_rate;
}

TEST(DefenseAwareRuns, KnowingTheKnnGuardGetsPoisonPastIt) {
  test::ScratchDir dir;
  setenv("POISONSIM_CACHE_DIR", dir.file("cache").c_str(), 1);
  const double naive = poison_rejected(dir, "naive", "");
  const double aware = poison_rejected(dir, "aware", "--set attackers.0.defense_aware=known");
  EXPECT_GT(naive, 0.3);
  EXPECT_LT(aware, naive / 3);
}

}  // namespace
}  // namespace poisonsim
