#pragma once
// The samples a feature-space guard compares arrivals with: the deployer's trusted clean data to
// begin with, then the most recently accepted arrivals (first in, first out). It keeps the
// images as well as their features, because a newly deployed model maps the same images to new
// features: after a deploy the whole bank is re-featurised before it is used again.
#include <cstdint>
#include <vector>

#include "pipeline/data/dataset.h"
#include "pipeline/plugins/sample_guard.h"

namespace poisonsim {

class FeatureBank {
 public:
  explicit FeatureBank(int64_t capacity) : capacity_(capacity) {}

  void attach(const GuardContext& context) { context_ = &context; }
  // Makes the bank ready to compare with: seeded from the trusted data on first use, and
  // re-featurised if a model was deployed since. True when the features changed.
  bool prepare();
  // The model changed: features are recomputed at the next prepare().
  void mark_stale() { stale_ = true; }
  // Adds an accepted arrival (its features must be the current model's), replacing the oldest
  // entry once the bank is full.
  void add(const ScoredSample& sample);

  size_t size() const { return images_.size(); }
  int64_t dim() const { return dim_; }
  const float* features() const { return features_.data(); }
  // The squared L2 norm of each entry's features, kept with them: a neighbour search needs them
  // for every query batch, and recomputing them each time cost as much as the search itself.
  const float* squared_norms() const { return norms_.data(); }
  const std::vector<int64_t>& labels() const { return images_.labels; }
  // Bytes held at full capacity (for the run's memory estimate).
  static int64_t bytes_at_capacity(int64_t capacity, int64_t image_floats, int64_t feature_dim);

  void save_state(StateOut& out) const;
  void load_state(StateIn& in);

 private:
  const GuardContext& context() const;
  void update_norms();

  int64_t capacity_;
  const GuardContext* context_ = nullptr;
  bool seeded_ = false;
  bool stale_ = false;
  Dataset images_;               // the bank's images and labels, in slot order
  std::vector<float> features_;  // size() x dim_, slot order
  std::vector<float> norms_;     // size(), slot order (derived: not in checkpoints)
  int64_t dim_ = 0;
  size_t next_ = 0;  // the slot the next arrival replaces once full
};

}  // namespace poisonsim
