#pragma once
// Synthetic labelled features for the defense stages' tests: n samples of `dim` features, class c
// centred at `centre` * e_(c mod dim), with independent Gaussian noise of standard deviation
// `sd(j)` in direction j. Features are the samples themselves (through test::IdentityContext).
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "pipeline/data/dataset.h"
#include "pipeline/plugins/sample_guard.h"
#include "sim/kernel/random_stream.h"

namespace poisonsim::test {

inline Dataset gaussian_classes(size_t n, int64_t dim, int64_t classes, double centre,
                                const std::function<double(int64_t)>& sd, uint64_t seed,
                                const std::string& name = "clusters") {
  Dataset d;
  d.name = name;
  d.shape = {1, 1, dim};
  d.num_classes = classes;
  RandomStream rng(seed);
  for (size_t i = 0; i < n; ++i) {
    const auto label = static_cast<int64_t>(rng.below(static_cast<uint64_t>(classes)));
    for (int64_t j = 0; j < dim; ++j)
      d.pixels.push_back(
          static_cast<float>((j == label % dim ? centre : 0.0) + sd(j) * rng.normal()));
    d.labels.push_back(label);
  }
  return d;
}

// The samples of `d` as a guard sees them, their features the images themselves; with `poison`,
// each one's ground truth (for the oracle baseline).
inline std::vector<ScoredSample> as_samples(const Dataset& d,
                                            const std::vector<bool>* poison = nullptr) {
  static const bool truth[2] = {false, true};
  std::vector<ScoredSample> out(d.size());
  for (size_t i = 0; i < d.size(); ++i) {
    out[i].label = d.labels[i];
    out[i].image = d.image(i);
    out[i].features = d.image(i);
    out[i].feature_dim = d.shape.numel();
    if (poison) out[i].ground_truth = &truth[(*poison)[i] ? 1 : 0];
  }
  return out;
}

}  // namespace poisonsim::test
