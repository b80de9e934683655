#pragma once
// A small deterministic data set for tests and smoke runs: each class has a smooth random
// prototype image; samples are that prototype with random brightness and pixel noise.
#include <cstdint>

#include "pipeline/data/dataset.h"

namespace poisonsim {

struct SyntheticSpec {
  int64_t train_size = 2000;
  int64_t test_size = 500;
  ImageShape shape{1, 28, 28};
  int64_t num_classes = 10;
  double noise = 0.25;  // standard deviation of the per-pixel Gaussian noise
  uint64_t seed = 1;
};

TrainTestData make_synthetic(const SyntheticSpec& spec);

}  // namespace poisonsim
