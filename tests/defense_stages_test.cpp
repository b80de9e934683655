// The defense stages of guards/per_sample beyond the loss guards: Deep k-NN (checked against
// scikit-learn's neighbour search), the random and oracle baselines, and their composition in a
// GuardChain. Features here are the images themselves (a GuardContext of the test's own), so
// every expected verdict can be worked out by hand or by an independent implementation.
#include <cstdio>
#include <fstream>
#include <memory>
#include <vector>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "guards/per_sample/baseline_filters.h"
#include "guards/per_sample/centroid_guards.h"
#include "guards/per_sample/knn_guard.h"
#include "guards/per_sample/loss_threshold.h"
#include "pipeline/plugins/guard_chain.h"
#include "sim/kernel/random_stream.h"
#include "sim/kernel/state_archive.h"
#include "tests/identity_guard_context.h"
#include "tests/synthetic_classes.h"
#include "tests/test_support.h"

namespace poisonsim {
namespace {

using test::IdentityContext;

// n samples of `dim` features around a per-class centre (class c's centre is 3 * e_(c mod dim)).
Dataset clusters(size_t n, int64_t dim, int64_t classes, double spread, uint64_t seed) {
  return test::gaussian_classes(n, dim, classes, 3.0, [spread](int64_t) { return spread; }, seed);
}

using test::as_samples;

TEST(PluralityVerdict, AcceptsALabelThatTiesForMostVotes) {
  const int64_t votes[] = {1, 1, 2, 2, 3};
  EXPECT_EQ(plurality_verdict(1, votes, 5), Verdict::accept);
  EXPECT_EQ(plurality_verdict(2, votes, 5), Verdict::accept);
  EXPECT_EQ(plurality_verdict(3, votes, 5), Verdict::reject);
  EXPECT_EQ(plurality_verdict(4, votes, 5), Verdict::reject);
}

TEST(KnnGuard, RejectsAFlippedLabelAndKeepsCleanOnes) {
  IdentityContext context(clusters(400, 4, 4, 0.3, 1));
  KnnGuard guard({5, 400, true});
  guard.attach(context);
  Dataset arrivals = clusters(200, 4, 4, 0.3, 2);
  std::vector<ScoredSample> clean = as_samples(arrivals);
  std::vector<Verdict> verdicts(clean.size());
  guard.judge_batch(clean.data(), clean.size(), verdicts.data());
  for (size_t i = 0; i < clean.size(); ++i) EXPECT_EQ(verdicts[i], Verdict::accept) << i;
  // The same images with the next class's label: every one is out of place.
  for (auto& label : arrivals.labels) label = (label + 1) % 4;
  std::vector<ScoredSample> flipped = as_samples(arrivals);
  guard.judge_batch(flipped.data(), flipped.size(), verdicts.data());
  for (size_t i = 0; i < flipped.size(); ++i) EXPECT_EQ(verdicts[i], Verdict::reject) << i;
}

// Two-feature samples at (x, 0) with the given labels.
Dataset points(const std::vector<float>& xs, const std::vector<int64_t>& labels) {
  Dataset d;
  d.shape = {1, 1, 2};
  d.num_classes = 2;
  for (size_t i = 0; i < xs.size(); ++i) {
    d.pixels.insert(d.pixels.end(), {xs[i], 0.0f});
    d.labels.push_back(labels[i]);
  }
  return d;
}

TEST(KnnGuard, AcceptedSamplesReplaceTheOldestAndADeployRefeaturises) {
  // Trusted: class 0 near x = 0, class 1 near x = 10, five each; k = 3.
  IdentityContext context(points({0, 0.1f, 0.2f, 0.3f, 0.4f, 10, 10.1f, 10.2f, 10.3f, 10.4f},
                                 {0, 0, 0, 0, 0, 1, 1, 1, 1, 1}));
  KnnGuard guard({3, 10, true});
  guard.attach(context);
  const Dataset probe = points({0.05f}, {0});
  EXPECT_EQ(guard.judge(as_samples(probe)[0]), Verdict::accept);
  EXPECT_EQ(context.featurised, 1);
  // Ten class-1 arrivals near x = 10 are accepted and replace every trusted sample (the probe
  // above, accepted too, went in first and is replaced by the tenth).
  const Dataset ones =
      points({10, 10, 10, 10, 10, 10, 10, 10, 10, 10}, {1, 1, 1, 1, 1, 1, 1, 1, 1, 1});
  auto arrivals = as_samples(ones);
  std::vector<Verdict> verdicts(arrivals.size());
  guard.judge_batch(arrivals.data(), arrivals.size(), verdicts.data());
  for (auto v : verdicts) EXPECT_EQ(v, Verdict::accept);
  // Now only class 1 is left to vote: the same probe is rejected.
  EXPECT_EQ(guard.judge(as_samples(probe)[0]), Verdict::reject);
  EXPECT_EQ(context.featurised, 1);
  guard.on_deploy();
  EXPECT_EQ(guard.judge(as_samples(probe)[0]), Verdict::reject);
  EXPECT_EQ(context.featurised, 2);  // a deploy makes the bank recompute its features, once
}

TEST(KnnGuard, SavedStateContinuesTheSameVerdicts) {
  IdentityContext context(clusters(300, 3, 3, 0.8, 4));
  const Dataset arrivals = clusters(300, 3, 3, 0.8, 5);
  auto samples = as_samples(arrivals);
  KnnGuard first({7, 200, true});
  first.attach(context);
  std::vector<Verdict> a(samples.size()), b(samples.size());
  first.judge_batch(samples.data(), 150, a.data());
  StateOut out;
  first.save_state(out);
  first.judge_batch(samples.data() + 150, 150, a.data() + 150);
  KnnGuard second({7, 200, true});
  second.attach(context);
  StateIn in(out.bytes(), "test");
  second.load_state(in);
  second.judge_batch(samples.data() + 150, 150, b.data() + 150);
  for (size_t i = 150; i < samples.size(); ++i) EXPECT_EQ(a[i], b[i]) << i;
}

// Writes a fixed window (trusted bank, arrivals, poisonsim's verdicts) and has
// tests/defenses/sklearn_reference.py decide the same window with scikit-learn.
void expect_sklearn_agrees(SampleGuard& guard, const Dataset& trusted, const Dataset& arrivals,
                           const std::string& rule_options) {
  test::ScratchDir dir;
  IdentityContext context(trusted);
  guard.attach(context);
  auto samples = as_samples(arrivals);
  std::vector<Verdict> verdicts(samples.size());
  guard.judge_batch(samples.data(), samples.size(), verdicts.data());
  size_t rejected = 0;
  std::ofstream file(dir.file("window.bin"), std::ios::binary);
  const auto put = [&](const void* p, size_t bytes) {
    file.write(static_cast<const char*>(p), static_cast<std::streamsize>(bytes));
  };
  put(trusted.pixels.data(), trusted.pixels.size() * sizeof(float));
  put(trusted.labels.data(), trusted.labels.size() * sizeof(int64_t));
  put(arrivals.pixels.data(), arrivals.pixels.size() * sizeof(float));
  put(arrivals.labels.data(), arrivals.labels.size() * sizeof(int64_t));
  for (auto v : verdicts) {
    const auto byte = static_cast<uint8_t>(v);
    rejected += byte;
    put(&byte, 1);
  }
  file.close();
  // The window must hold verdicts of both kinds to test anything.
  EXPECT_GT(rejected, 5u);
  EXPECT_LT(rejected, samples.size() - 5);
  const auto result = test::run_command(
      fmt::format("/usr/bin/python3 {}/tests/defenses/sklearn_reference.py {} --bank {} "
                  "--queries {} --dim {} {} 2>&1",
                  POISONSIM_SOURCE_DIR, dir.file("window.bin"), trusted.size(), arrivals.size(),
                  trusted.shape.numel(), rule_options));
  EXPECT_EQ(result.exit_code, 0) << result.output;
}

TEST(KnnGuard, AgreesWithScikitLearn) {
  KnnGuard guard({9, 500, false});  // a fixed bank: the reference has no updates to follow
  expect_sklearn_agrees(guard, clusters(500, 6, 5, 1.2, 6), clusters(400, 6, 5, 1.2, 7),
                        "--rule knn --k 9");
}

TEST(CentroidGuards, SphereAndSlabAgreeWithScikitLearn) {
  // Arrivals with a tenth of the labels moved to the next class: both rules have work to do.
  Dataset arrivals = clusters(400, 6, 5, 1.0, 9);
  for (size_t i = 0; i < arrivals.size(); i += 10)
    arrivals.labels[i] = (arrivals.labels[i] + 1) % 5;
  for (const auto rule : {CentroidGuardOptions::Rule::sphere, CentroidGuardOptions::Rule::slab}) {
    CentroidGuard guard({rule, 0.9, 600});
    expect_sklearn_agrees(guard, clusters(600, 6, 5, 1.0, 8), arrivals,
                          "--rule " + centroid_rule_names().name(rule) + " --quantile 0.9");
  }
}

TEST(CentroidGuards, RejectAboutOneMinusTheQuantileOfCleanSamples) {
  const Dataset trusted = clusters(2000, 4, 4, 1.0, 11);
  const Dataset clean = clusters(4000, 4, 4, 1.0, 12);
  IdentityContext context(trusted);
  for (const auto rule : {CentroidGuardOptions::Rule::sphere, CentroidGuardOptions::Rule::slab}) {
    CentroidGuard guard({rule, 0.95, 2000});
    guard.attach(context);
    size_t rejected = 0;
    for (const auto& s : as_samples(clean)) rejected += guard.judge(s) == Verdict::reject;
    // 5% of 4,000 is 200 (binomial sd 14; the radii themselves are estimates from 500 per class).
    EXPECT_NEAR(static_cast<double>(rejected), 200.0, 70.0) << centroid_rule_names().name(rule);
  }
}

TEST(CentroidGuards, AcceptALabelTheTrustedDataLacks) {
  IdentityContext context(clusters(100, 2, 2, 0.5, 13));  // classes 0 and 1 only
  CentroidGuard guard({CentroidGuardOptions::Rule::sphere, 0.9, 100});
  guard.attach(context);
  Dataset odd = points({100}, {3});
  EXPECT_EQ(guard.judge(as_samples(odd)[0]), Verdict::accept);
  odd.labels[0] = 1;
  EXPECT_EQ(guard.judge(as_samples(odd)[0]), Verdict::reject);
}

// The conformal radius at 0.99 needs 99 trusted samples of a class (guards/per_sample/conformal_threshold.h):
// with 50 each, no radius exists and the guard rejects nothing, however far the sample.
TEST(CentroidGuards, AcceptEverythingOfAClassTooSmallForTheQuantile) {
  IdentityContext context(clusters(100, 2, 2, 0.5, 13));
  for (const auto rule : {CentroidGuardOptions::Rule::sphere, CentroidGuardOptions::Rule::slab}) {
    CentroidGuard guard({rule, 0.99, 100});
    guard.attach(context);
    Dataset far = points({100}, {1});
    EXPECT_EQ(guard.judge(as_samples(far)[0]), Verdict::accept) << centroid_rule_names().name(rule);
  }
}

TEST(RandomFilter, RejectsItsRateAndRepeatsWithTheSeed) {
  IdentityContext context(clusters(10, 2, 2, 1, 8));
  const Dataset arrivals = clusters(20000, 2, 2, 1, 9);
  auto samples = as_samples(arrivals);
  const auto rejections = [&] {
    RandomFilter filter(0.2);
    filter.attach(context);
    std::vector<Verdict> v(samples.size());
    filter.judge_batch(samples.data(), samples.size(), v.data());
    return v;
  };
  const auto a = rejections();
  size_t rejected = 0;
  for (auto v : a) rejected += v == Verdict::reject;
  // 20,000 draws at 0.2: the standard deviation of the count is 57, so 4,000 ± 300 holds.
  EXPECT_NEAR(static_cast<double>(rejected), 4000.0, 300.0);
  EXPECT_EQ(a, rejections());
}

TEST(OracleFilter, RejectsExactlyThePoison) {
  const Dataset arrivals = clusters(100, 2, 2, 1, 10);
  std::vector<bool> poison(arrivals.size());
  for (size_t i = 0; i < poison.size(); ++i) poison[i] = i % 3 == 0;
  auto samples = as_samples(arrivals, &poison);
  OracleFilter oracle;
  EXPECT_TRUE(oracle.needs().ground_truth);
  for (size_t i = 0; i < samples.size(); ++i)
    EXPECT_EQ(oracle.judge(samples[i]), poison[i] ? Verdict::reject : Verdict::accept);
}

TEST(GuardChain, RecordsTheFirstStageThatRejectsAndPassesOnlySurvivors) {
  std::vector<GuardChain::Stage> stages;
  stages.push_back({"loss-threshold", std::make_unique<LossThresholdGuard>(2.0)});
  stages.push_back({"oracle", std::make_unique<OracleFilter>()});
  GuardChain chain(std::move(stages));
  EXPECT_EQ(chain.describe(), "loss-threshold + oracle");
  EXPECT_TRUE(chain.needs().ground_truth);
  EXPECT_FALSE(chain.needs().features);
  EXPECT_DOUBLE_EQ(chain.threshold(), 2.0);
  const bool yes = true, no = false;
  std::vector<ScoredSample> samples(4);
  samples[0].loss = 3, samples[0].ground_truth = &yes;  // both would reject: the first does
  samples[1].loss = 1, samples[1].ground_truth = &yes;  // only the oracle
  samples[2].loss = 3, samples[2].ground_truth = &no;   // only the loss guard
  samples[3].loss = 1, samples[3].ground_truth = &no;   // neither
  std::vector<int8_t> by(4);
  chain.judge_stages(samples.data(), samples.size(), by.data());
  EXPECT_EQ(by, (std::vector<int8_t>{0, 1, 0, -1}));
}

}  // namespace
}  // namespace poisonsim
