// The window sanitizers that work on the deployed model's last layer (guards/window: Sever on its
// per-sample gradients, TRIM on refits of it): each removes most label flips, keeps clean windows
// (no more than its stated false-positive rate), does nothing on an empty window or a class too
// small to judge, and agrees with an independent scikit-learn implementation
// (tests/defenses/sklearn_reference.py). Features are the samples themselves and the last layer
// reads class c's logit off feature c (test::IdentityContext), so the deployed model classifies
// the synthetic clusters well and a flipped label has a high loss.
#include <cmath>
#include <cstdio>
#include <vector>

#include <gtest/gtest.h>

#include "guards/window/sever.h"
#include "guards/window/trim.h"
#include "sim/kernel/random_stream.h"
#include "tests/window_test_support.h"

namespace poisonsim {
namespace {

using test::clusters;
using test::IdentityContext;
using test::kDim;
using test::removed_count;
using test::sanitize;
using test::Tally;
using test::tally;

double share(size_t part, size_t whole) {
  return static_cast<double>(part) / static_cast<double>(whole);
}

// A last layer with `classes` outputs reading class c's logit off feature c.
LastLayer reading_layer(int64_t classes) {
  LastLayer layer;
  layer.num_classes = classes;
  layer.feature_dim = kDim;
  layer.weight.assign(static_cast<size_t>(classes * kDim), 0.0f);
  for (int64_t c = 0; c < classes; ++c) layer.weight[static_cast<size_t>(c * kDim + c)] = 1.0f;
  layer.bias.assign(static_cast<size_t>(classes), 0.0f);
  return layer;
}

TEST(Sever, GramAndCovarianceSolversGiveTheSameScores) {
  // 30 samples (fewer than the 4 x 9 gradient coordinates) and 300 (more), under a layer with
  // random weights.
  LastLayer layer = reading_layer(test::kClasses);
  RandomStream rng(41);
  for (auto& w : layer.weight) w = static_cast<float>(rng.normal());
  for (auto& b : layer.bias) b = static_cast<float>(rng.normal());
  for (size_t n : {30, 300}) {
    const Dataset d = clusters(n, 42);
    const auto gram =
        sever_scores(d.pixels.data(), n, kDim, 1, layer, SeverSolver::gram);
    const auto covariance =
        sever_scores(d.pixels.data(), n, kDim, 1, layer, SeverSolver::covariance);
    ASSERT_EQ(gram.size(), n);
    double top = 0;
    for (double s : covariance) top = std::max(top, s);
    for (size_t i = 0; i < n; ++i) EXPECT_NEAR(gram[i], covariance[i], 1e-9 * top) << n << " " << i;
  }
}

// 2,000 samples, an eighth of each class relabelled as the next class (250 flips).
struct FlippedWindow {
  Dataset window = clusters(2000, 52);
  std::vector<bool> flipped = test::flip_labels(window, 8);
};

TEST(Sever, RemovesMostLabelFlipsAndFewCleanSamples) {
  IdentityContext context(clusters(2000, 51));
  FlippedWindow w;
  Sever stage({0.99, 0.5, 1, 20, 2000});
  const Tally t = tally(sanitize(stage, context, w.window), w.flipped);
  std::printf("sever: %zu of %zu flips, %zu of %zu clean samples\n", t.planted_removed, t.planted,
              t.clean_removed, t.clean);
  // Measured: 195 of 252 flips (0.77), 14 of 1,748 clean samples (0.008).
  ASSERT_GT(t.planted, 200u);
  EXPECT_GT(share(t.planted_removed, t.planted), 0.7);
  EXPECT_LT(share(t.clean_removed, t.clean), 0.02);
}

TEST(Sever, CleanWindowLosesNoMoreThanOneMinusTheQuantile) {
  IdentityContext context(clusters(2000, 53));
  const Dataset window = clusters(4000, 54);
  Sever stage({0.95, 0.5, 1, 20, 2000});
  const auto outcome = sanitize(stage, context, window);
  // The stated rate is 1 - quantile = 5% (200 of 4,000); the thresholds are estimates from
  // 500 trusted samples per class, so allow 2 points above it, as for spectral signatures.
  EXPECT_LE(share(removed_count(outcome), 4000), 0.05 + 0.02) << removed_count(outcome);
  EXPECT_EQ(outcome.unjudged, 0);
}

TEST(Sever, MoreRoundsRemoveNoLessAndRespectTheCap) {
  IdentityContext context(clusters(2000, 55));
  FlippedWindow w;
  Sever one({0.99, 0.5, 1, 20, 2000});
  Sever three({0.99, 0.5, 3, 20, 2000});
  Sever capped({0.99, 0.05, 3, 20, 2000});
  const Tally t1 = tally(sanitize(one, context, w.window), w.flipped);
  const Tally t3 = tally(sanitize(three, context, w.window), w.flipped);
  std::printf("sever, 3 rounds: %zu of %zu flips, %zu of %zu clean samples\n", t3.planted_removed,
              t3.planted, t3.clean_removed, t3.clean);
  EXPECT_GE(t3.planted_removed + t3.clean_removed, t1.planted_removed + t1.clean_removed);
  const auto outcome = sanitize(capped, context, w.window);
  for (int64_t c = 0; c < test::kClasses; ++c) {
    size_t in_class = 0, removed = 0;
    for (size_t i = 0; i < w.window.size(); ++i)
      if (w.window.labels[i] == c) {
        ++in_class;
        removed += outcome.remove[i];
      }
    EXPECT_LE(removed, static_cast<size_t>(0.05 * static_cast<double>(in_class))) << c;
  }
}

TEST(Trim, RemovesMostLabelFlipsAndFewCleanSamples) {
  IdentityContext context(clusters(2000, 61));
  FlippedWindow w;
  Trim stage({0.2, 0.99, 10, 20, 1e-3, 20, 2000});
  const Tally t = tally(sanitize(stage, context, w.window), w.flipped);
  std::printf("trim: %zu of %zu flips, %zu of %zu clean samples, %lld refits\n", t.planted_removed,
              t.planted, t.clean_removed, t.clean, static_cast<long long>(stage.last_rounds()));
  // Measured: 227 of 252 flips (0.90), 25 of 1,748 clean samples (0.014), after 10 refits (the
  // kept set still changed at the boundary).
  ASSERT_GT(t.planted, 200u);
  EXPECT_GT(share(t.planted_removed, t.planted), 0.85);
  EXPECT_LT(share(t.clean_removed, t.clean), 0.02);
  EXPECT_GE(stage.last_rounds(), 1);
}

TEST(Trim, CleanWindowLosesNoMoreThanOneMinusTheQuantile) {
  IdentityContext context(clusters(2000, 63));
  const Dataset window = clusters(4000, 64);
  Trim stage({0.2, 0.95, 10, 20, 1e-3, 20, 2000});
  const auto outcome = sanitize(stage, context, window);
  // Stated: 1 - quantile = 5% of a clean window, estimated from 500 trusted samples per class.
  EXPECT_LE(share(removed_count(outcome), 4000), 0.05 + 0.02) << removed_count(outcome);
  EXPECT_EQ(outcome.unjudged, 0);
}

TEST(LastLayerSanitizers, EmptyWindowAndSmallClassesAreRecordedNoOps) {
  IdentityContext context(clusters(400, 71));
  Sever sever({0.99, 0.5, 2, 20, 400});
  Trim trim({0.2, 0.99, 10, 20, 1e-3, 20, 400});
  for (WindowSanitizer* stage : std::vector<WindowSanitizer*>{&sever, &trim}) {
    const auto none = sanitize(*stage, context, clusters(0, 72));
    EXPECT_TRUE(none.remove.empty());
    EXPECT_EQ(none.unjudged, 0);
    // Ten samples per class, fewer than min_class_samples: none judged, none removed.
    Dataset few = clusters(40, 73);
    test::flip_labels(few, 2);
    const auto outcome = sanitize(*stage, context, few);
    EXPECT_EQ(removed_count(outcome), 0u);
    EXPECT_EQ(outcome.unjudged, 40);
    // A label the last layer does not have (nor the trusted data) is not judged either.
    Dataset odd = clusters(100, 74);
    for (auto& label : odd.labels) label = 9;
    EXPECT_EQ(sanitize(*stage, context, odd).unjudged, 100);
  }
}

// The reference window (two classes with a planted sub-population, ten samples of a fifth class
// too few to judge) with flipped labels on top, under a five-class layer so that the fifth class
// is in the model (TRIM's refits include its samples).
struct ReferenceCase {
  IdentityContext context{test::reference_trusted()};
  Dataset window = test::reference_window(context.trusted());
  ReferenceCase() {
    context.layer = reading_layer(5);
    for (size_t i = 0; i < 1600; i += 9) window.labels[i] = (window.labels[i] + 1) % 4;
  }
};

TEST(Sever, AgreesWithScikitLearn) {
  ReferenceCase r;
  Sever stage({0.9, 0.3, 2, 20, 1000});
  test::expect_sklearn_agrees(stage, r.context, r.window,
                              "--rule sever --quantile 0.9 --max-removal 0.3 --rounds 2 "
                              "--min-class-samples 20",
                              /*with_layer=*/true);
}

TEST(Trim, AgreesWithScikitLearn) {
  ReferenceCase r;
  Trim stage({0.2, 0.9, 10, 500, 1e-2, 20, 1000});
  test::expect_sklearn_agrees(stage, r.context, r.window,
                              "--rule trim --trim 0.2 --quantile 0.9 --max-rounds 10 "
                              "--weight-decay 0.01 --min-class-samples 20",
                              /*with_layer=*/true);
}

}  // namespace
}  // namespace poisonsim
