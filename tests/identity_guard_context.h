#pragma once
// A GuardContext for stage tests: a sample's features are its image, the trusted data is what
// the test gives, and it counts how often it featurised (a bank must not recompute needlessly).
// Its last layer reads class c's logit off feature c (a test may set another).
#include <cstdint>
#include <utility>
#include <vector>

#include "pipeline/plugins/sample_guard.h"

namespace poisonsim::test {

class IdentityContext : public GuardContext {
 public:
  explicit IdentityContext(Dataset trusted) : trusted_(std::move(trusted)) {
    layer.num_classes = trusted_.num_classes;
    layer.feature_dim = trusted_.shape.numel();
    const auto k = static_cast<size_t>(layer.num_classes);
    const auto d = static_cast<size_t>(layer.feature_dim);
    layer.weight.assign(k * d, 0.0f);
    for (size_t c = 0; c < k && c < d; ++c) layer.weight[c * d + c] = 1.0f;
    layer.bias.assign(k, 0.0f);
  }
  int64_t feature_dim() const override { return trusted_.shape.numel(); }
  std::vector<float> features(const Dataset& data) const override {
    ++featurised;
    return data.pixels;
  }
  LastLayer last_layer() const override { return layer; }
  const Dataset& trusted() const override { return trusted_; }
  uint64_t seed() const override { return 7; }
  mutable int featurised = 0;
  LastLayer layer;

 private:
  Dataset trusted_;
};

}  // namespace poisonsim::test
