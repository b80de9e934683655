// The window sanitizers of guards/window (spectral signatures, activation clustering) and their
// chain: each removes a planted sub-population of a class, keeps clean windows (no more than its
// stated false-positive rate), does nothing on an empty window or a class too small to judge, and
// agrees with an independent scikit-learn implementation (tests/defenses/sklearn_reference.py).
// Features are the samples themselves (a GuardContext of the test's own), so every window is
// exactly what the test wrote.
#include <memory>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "guards/window/activation_clustering.h"
#include "guards/window/spectral_signature.h"
#include "pipeline/plugins/sanitizer_chain.h"
#include "tests/window_test_support.h"

namespace poisonsim {
namespace {

using test::clusters;
using test::IdentityContext;
using test::plant;
using test::sanitize;
using test::Tally;
using test::tally;

TEST(SpectralSignature, RemovesAPlantedDirectionAndFewCleanSamples) {
  IdentityContext context(clusters(2000, 1));
  Dataset window = clusters(2000, 2);
  const auto planted = plant(window, {0, 2}, 8);  // 12.5% of two classes
  SpectralSignature stage({0.99, 0.5, 20, 2000});
  const Tally t = tally(sanitize(stage, context, window), planted);
  ASSERT_GT(t.planted, 100u);
  EXPECT_GT(static_cast<double>(t.planted_removed) / static_cast<double>(t.planted), 0.9);
  EXPECT_LT(static_cast<double>(t.clean_removed) / static_cast<double>(t.clean), 0.02);
}

TEST(SpectralSignature, CleanWindowLosesNoMoreThanOneMinusTheQuantile) {
  IdentityContext context(clusters(2000, 3));
  const Dataset window = clusters(4000, 4);
  SpectralSignature stage({0.95, 0.5, 20, 2000});
  const auto outcome = sanitize(stage, context, window);
  size_t removed = 0;
  for (auto r : outcome.remove) removed += r;
  // The stated rate is 1 - quantile = 5% (200 of 4,000); the thresholds are estimates from
  // 500 trusted samples per class, so allow 2 points above it.
  EXPECT_LE(static_cast<double>(removed) / 4000.0, 0.05 + 0.02) << removed;
  EXPECT_EQ(outcome.unjudged, 0);
}

// 400 trusted samples, about 100 a class: the conformal 0.995 quantile needs 199 calibration
// scores, so no class can be judged, and every row is the recorded no-op rather than kept
// silently; at 0.95 (19 needed) every class is judged again.
TEST(SpectralSignature, AClassTooSmallForTheQuantileIsUnjudged) {
  IdentityContext context(clusters(400, 7));
  Dataset window = clusters(2000, 8);
  plant(window, {0, 2}, 8);
  SpectralSignature strict({0.995, 0.5, 20, 400});
  const auto none = sanitize(strict, context, window);
  size_t removed = 0;
  for (auto r : none.remove) removed += r;
  EXPECT_EQ(removed, 0u);
  EXPECT_EQ(none.unjudged, 2000);
  SpectralSignature usual({0.95, 0.5, 20, 400});
  EXPECT_EQ(sanitize(usual, context, window).unjudged, 0);
}

TEST(SpectralSignature, MaxRemovalCapsEachClass) {
  IdentityContext context(clusters(2000, 5));
  Dataset window = clusters(2000, 6);
  plant(window, {1}, 4);  // a quarter of class 1
  SpectralSignature stage({0.99, 0.1, 20, 2000});
  const auto outcome = sanitize(stage, context, window);
  size_t in_class = 0, removed = 0;
  for (size_t i = 0; i < window.size(); ++i)
    if (window.labels[i] == 1) {
      ++in_class;
      removed += outcome.remove[i];
    }
  EXPECT_EQ(removed, static_cast<size_t>(0.1 * static_cast<double>(in_class)));
}

TEST(WindowSanitizers, EmptyWindowAndSmallClassesAreRecordedNoOps) {
  IdentityContext context(clusters(400, 7));
  SpectralSignature spectral({0.99, 0.5, 20, 400});
  ActivationClustering clustering({10, 0.35, 0.15, 0.5, 20, 400});
  for (WindowSanitizer* stage : std::vector<WindowSanitizer*>{&spectral, &clustering}) {
    const Dataset empty = clusters(0, 8);
    const auto none = sanitize(*stage, context, empty);
    EXPECT_TRUE(none.remove.empty());
    EXPECT_EQ(none.unjudged, 0);
    // Ten samples per class, fewer than min_class_samples: none judged, none removed.
    Dataset few = clusters(40, 9);
    plant(few, {0, 1, 2, 3}, 2);
    const auto outcome = sanitize(*stage, context, few);
    for (auto r : outcome.remove) EXPECT_EQ(r, 0);
    EXPECT_EQ(outcome.unjudged, 40);
  }
  // A class the trusted data lacks cannot be calibrated: not judged either.
  Dataset odd = clusters(100, 10);
  for (auto& label : odd.labels) label = 9;
  const auto outcome = sanitize(spectral, context, odd);
  EXPECT_EQ(outcome.unjudged, 100);
}

TEST(ActivationClustering, RemovesAPlantedClusterAndKeepsTheOtherClassesWhole) {
  IdentityContext context(clusters(2000, 11));
  Dataset window = clusters(2000, 12);
  const auto planted = plant(window, {3}, 6);
  ActivationClustering stage({10, 0.35, 0.15, 0.5, 20, 2000});
  const auto outcome = sanitize(stage, context, window);
  const Tally t = tally(outcome, planted);
  ASSERT_GT(t.planted, 50u);
  EXPECT_GT(static_cast<double>(t.planted_removed) / static_cast<double>(t.planted), 0.95);
  // Class 3's clean samples that lie towards the planted cluster go with it (the k-means
  // boundary is halfway: 3 standard deviations), the other classes lose nothing.
  size_t class3 = 0;
  for (size_t i = 0; i < window.size(); ++i) {
    class3 += window.labels[i] == 3;
    if (window.labels[i] != 3) {
      EXPECT_EQ(outcome.remove[i], 0) << i;
    }
  }
  EXPECT_LE(static_cast<double>(t.clean_removed), 0.01 * static_cast<double>(class3));
}

// A clean class with two natural modes (a quarter of it shifted): the window splits in two, but
// the trusted data populates the small cluster alike, so nothing is removed. "Always remove the
// smaller cluster" would take the quarter.
TEST(ActivationClustering, KeepsACleanBimodalClassThatTrustedDataShares) {
  Dataset trusted = clusters(2000, 13);
  plant(trusted, {2}, 4);
  IdentityContext context(trusted);
  Dataset window = clusters(2000, 14);
  plant(window, {2}, 4);
  ActivationClustering stage({10, 0.35, 0.15, 0.5, 20, 2000});
  const auto outcome = sanitize(stage, context, window);
  for (auto r : outcome.remove) EXPECT_EQ(r, 0);
}

TEST(ActivationClustering, CleanWindowsLoseNothing) {
  for (uint64_t seed = 20; seed < 25; ++seed) {
    IdentityContext context(clusters(2000, seed));
    ActivationClustering stage({10, 0.35, 0.15, 0.5, 20, 2000});
    const auto outcome = sanitize(stage, context, clusters(3000, seed + 100));
    size_t removed = 0;
    for (auto r : outcome.remove) removed += r;
    EXPECT_EQ(removed, 0u) << "seed " << seed;
  }
}

TEST(SpectralSignature, AgreesWithScikitLearn) {
  const IdentityContext context(test::reference_trusted());
  SpectralSignature stage({0.9, 0.3, 20, 1000});
  test::expect_sklearn_agrees(stage, context, test::reference_window(context.trusted()),
                        "--rule spectral --quantile 0.9 --max-removal 0.3 --min-class-samples 20");
}

TEST(ActivationClustering, AgreesWithScikitLearn) {
  const IdentityContext context(test::reference_trusted());
  ActivationClustering stage({5, 0.35, 0.15, 0.5, 20, 1000});
  test::expect_sklearn_agrees(stage, context, test::reference_window(context.trusted()),
                        "--rule activation-clustering --components 5 --max-share 0.35 "
                        "--min-silhouette 0.15 --trusted-ratio 0.5 --min-class-samples 20");
}

// Stage 1 sees everything, stage 2 only what stage 1 kept; removed_by names the first remover.
class RemoveLabel : public WindowSanitizer {
 public:
  explicit RemoveLabel(int64_t label) : label_(label) {}
  void sanitize(const SanitizeWindow& window, SanitizeOutcome& outcome) override {
    seen.push_back(window.size);
    for (size_t i = 0; i < window.size; ++i) outcome.remove[i] = window.labels[i] == label_;
    outcome.unjudged = 1;
  }
  std::vector<size_t> seen;

 private:
  int64_t label_;
};

TEST(SanitizerChain, RunsStagesInOrderOnWhatTheEarlierOnesKept) {
  auto first = std::make_unique<RemoveLabel>(1);
  auto second = std::make_unique<RemoveLabel>(2);
  auto* a = first.get();
  auto* b = second.get();
  std::vector<SanitizerChain::Stage> stages;
  stages.push_back({"one", std::move(first)});
  stages.push_back({"two", std::move(second)});
  SanitizerChain chain(std::move(stages));
  const std::vector<int64_t> labels{0, 1, 2, 1, 3};
  const std::vector<float> features{0, 1, 2, 3, 4};
  std::vector<int8_t> removed_by;
  const auto reports = chain.run(labels, features, 1, removed_by);
  EXPECT_EQ(removed_by, (std::vector<int8_t>{-1, 0, 1, 0, -1}));
  EXPECT_EQ(a->seen, std::vector<size_t>{5});
  EXPECT_EQ(b->seen, std::vector<size_t>{3});
  ASSERT_EQ(reports.size(), 2u);
  EXPECT_EQ(reports[0].type, "one");
  EXPECT_EQ(reports[0].seen, 5);
  EXPECT_EQ(reports[0].removed, 2);
  EXPECT_EQ(reports[1].seen, 3);
  EXPECT_EQ(reports[1].removed, 1);
  EXPECT_EQ(reports[1].unjudged, 1);
  // An empty window still runs every stage (each records its no-op).
  chain.run({}, {}, 1, removed_by);
  EXPECT_TRUE(removed_by.empty());
  EXPECT_EQ(b->seen.back(), 0u);
}

}  // namespace
}  // namespace poisonsim
