#pragma once
// Sphere and slab defenses (Steinhardt, Koh and Liang 2017; Koh, Steinhardt and Liang 2018), in
// the deployed model's feature space, with class centroids of the trusted data:
//   sphere: score = distance from a sample's features to its label's centroid;
//   slab:   score = |projection of (features - its label's centroid) on the direction from the
//           mean of the other classes' centroids to its label's centroid|.
// A sample is rejected when its score exceeds its class's conformal `quantile` of the trusted
// samples' scores (guards/per_sample/conformal_threshold.h), so on clean data each class loses
// at most 1 - quantile in expectation. Centroids and radii are recomputed after each deploy (new
// features), never from arrivals, which poison could move.
#include <cstdint>
#include <vector>

#include "guards/per_sample/feature_bank.h"
#include "pipeline/plugins/sample_guard.h"
#include "sim/util/enum_names.h"

namespace poisonsim {

class ConfigNode;

struct CentroidGuardOptions {
  enum class Rule { sphere, slab } rule = Rule::sphere;
  double quantile = 0.99;    // of the trusted scores per class: the radius
  int64_t bank_size = 5000;  // trusted samples the centroids and radii come from
};
const EnumNames<CentroidGuardOptions::Rule>& centroid_rule_names();  // "sphere", "slab"

// The keys of the `sphere` and `slab` guards.
CentroidGuardOptions read_centroid_guard_options(ConfigNode& node, CentroidGuardOptions::Rule rule);

class CentroidGuard : public BatchSampleGuard {
 public:
  explicit CentroidGuard(CentroidGuardOptions options);
  GuardNeeds needs() const override { return {true, false}; }
  void attach(const GuardContext& context) override { bank_.attach(context); }
  void judge_batch(const ScoredSample* samples, size_t n, Verdict* verdicts) override;
  // The score of each sample of the last batch (NaN for a class the trusted data lacks).
  const float* last_scores() const override { return last_scores_.data(); }
  void on_deploy() override { bank_.mark_stale(); }
  int64_t memory_bytes(int64_t image_floats, int64_t feature_dim) const override {
    return FeatureBank::bytes_at_capacity(options_.bank_size, image_floats, feature_dim);
  }
  void save_state(StateOut& out) const override;
  void load_state(StateIn& in) override;

  // A sample's score under the current centroids (after judge() or prepare() ran once); NaN for
  // a label the trusted data lacks.
  double score(const float* features, int64_t label) const;

 private:
  void prepare();

  CentroidGuardOptions options_;
  FeatureBank bank_;
  // Per class: centroid (dim floats), unit slab direction, radius; empty for a missing class.
  std::vector<std::vector<float>> centroid_;
  std::vector<std::vector<float>> direction_;
  std::vector<double> radius_;  // infinite for a class too small for the quantile
  bool warned_small_class_ = false;
  std::vector<float> last_scores_;
};

}  // namespace poisonsim
