#pragma once
// A GuardContext for stage tests: a sample's features are its image, the trusted data is what
// the test gives, and it counts how often it featurised (a bank must not recompute needlessly).
#include <cstdint>
#include <utility>
#include <vector>

#include "pipeline/plugins/sample_guard.h"

namespace poisonsim::test {

class IdentityContext : public GuardContext {
 public:
  explicit IdentityContext(Dataset trusted) : trusted_(std::move(trusted)) {}
  int64_t feature_dim() const override { return trusted_.shape.numel(); }
  std::vector<float> features(const Dataset& data) const override {
    ++featurised;
    return data.pixels;
  }
  const Dataset& trusted() const override { return trusted_; }
  uint64_t seed() const override { return 7; }
  mutable int featurised = 0;

 private:
  Dataset trusted_;
};

}  // namespace poisonsim::test
