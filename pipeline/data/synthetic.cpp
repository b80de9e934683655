#include "pipeline/data/synthetic.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>

#include "sim/kernel/random_stream.h"

namespace poisonsim {
namespace {

// A prototype is a sum of a few Gaussian blobs per channel, scaled into [0, 1].
std::vector<float> make_prototype(const ImageShape& shape, RandomStream& rng) {
  std::vector<float> image(static_cast<size_t>(shape.numel()), 0.0f);
  for (int64_t c = 0; c < shape.channels; ++c) {
    for (int blob = 0; blob < 3; ++blob) {
      const double cy = rng.uniform(0, static_cast<double>(shape.height));
      const double cx = rng.uniform(0, static_cast<double>(shape.width));
      const double radius = rng.uniform(0.1, 0.3) * static_cast<double>(shape.width);
      for (int64_t y = 0; y < shape.height; ++y)
        for (int64_t x = 0; x < shape.width; ++x) {
          const double d2 = (y - cy) * (y - cy) + (x - cx) * (x - cx);
          image[static_cast<size_t>((c * shape.height + y) * shape.width + x)] +=
              static_cast<float>(std::exp(-d2 / (2 * radius * radius)));
        }
    }
  }
  const float peak = *std::max_element(image.begin(), image.end());
  for (auto& v : image) v /= std::max(peak, 1e-6f);
  return image;
}

Dataset make_part(const std::vector<std::vector<float>>& prototypes, const SyntheticSpec& spec,
                  int64_t size, const char* name, RandomStream& rng) {
  Dataset data;
  data.name = name;
  data.shape = spec.shape;
  data.num_classes = spec.num_classes;
  data.labels.resize(static_cast<size_t>(size));
  data.pixels.resize(static_cast<size_t>(size * spec.shape.numel()));
  for (size_t i = 0; i < data.size(); ++i) {
    const auto label = static_cast<int64_t>(rng.below(static_cast<uint64_t>(spec.num_classes)));
    data.labels[i] = label;
    const double brightness = rng.uniform(0.7, 1.0);
    const auto& proto = prototypes[static_cast<size_t>(label)];
    float* out = data.image(i);
    for (size_t p = 0; p < proto.size(); ++p) {
      const double v = brightness * proto[p] + spec.noise * rng.normal();
      out[p] = static_cast<float>(std::clamp(v, 0.0, 1.0));
    }
  }
  return data;
}

}  // namespace

TrainTestData make_synthetic(const SyntheticSpec& spec) {
  if (spec.train_size < 1 || spec.test_size < 1 || spec.num_classes < 2 || spec.shape.numel() < 1)
    throw std::invalid_argument("make_synthetic: sizes must be positive and classes >= 2");
  RandomStream proto_rng(spec.seed, "synthetic/prototypes");
  std::vector<std::vector<float>> prototypes;
  for (int64_t k = 0; k < spec.num_classes; ++k)
    prototypes.push_back(make_prototype(spec.shape, proto_rng));
  RandomStream train_rng(spec.seed, "synthetic/train");
  RandomStream test_rng(spec.seed, "synthetic/test");
  TrainTestData out;
  out.train = make_part(prototypes, spec, spec.train_size, "synthetic/train", train_rng);
  out.test = make_part(prototypes, spec, spec.test_size, "synthetic/test", test_rng);
  return out;
}

}  // namespace poisonsim
