#pragma once
// Synthetic labelled features for the defense stages' tests: n samples of `dim` features, class c
// centred at `centre` * e_(c mod dim), with independent Gaussian noise of standard deviation
// `sd(j)` in direction j. Features are the samples themselves (through test::IdentityContext).
#include <cstdint>
#include <functional>
#include <string>

#include "pipeline/data/dataset.h"
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

}  // namespace poisonsim::test
