#pragma once
// The GuardContext (pipeline/plugins/sample_guard.h) of a deployed model: features from its
// serving engine, its last layer, the trusted pretraining data, the run's seed. The simulation
// gives one to its guard; `poisonsim bench defenses` builds one the same way.
#include <cstdint>
#include <vector>

#include "pipeline/plugins/sample_guard.h"
#include "pipeline/simulation/deployment.h"

namespace poisonsim {

class DeploymentGuardContext : public GuardContext {
 public:
  // Both must outlive the context.
  DeploymentGuardContext(const Deployment& deployment, const Dataset& trusted, uint64_t seed)
      : deployment_(deployment), trusted_(trusted), seed_(seed) {}
  int64_t feature_dim() const override { return deployment_.feature_dim(); }
  std::vector<float> features(const Dataset& images) const override {
    return deployment_.features(images);
  }
  LastLayer last_layer() const override;
  const Dataset& trusted() const override { return trusted_; }
  uint64_t seed() const override { return seed_; }

 private:
  const Deployment& deployment_;
  const Dataset& trusted_;
  uint64_t seed_;
};

}  // namespace poisonsim
