#include "guards/per_sample/feature_bank.h"

#include <algorithm>
#include <stdexcept>

#include <faiss/utils/distances.h>

#include "sim/kernel/state_archive.h"
#include "sim/util/error.h"

namespace poisonsim {

void FeatureBank::update_norms() {
  norms_.resize(images_.size());
  if (!norms_.empty())
    faiss::fvec_norms_L2sqr(norms_.data(), features_.data(), static_cast<size_t>(dim_),
                            norms_.size());
}

const GuardContext& FeatureBank::context() const {
  if (!context_) throw std::logic_error("FeatureBank used before attach()");
  return *context_;
}

bool FeatureBank::prepare() {
  if (!seeded_) {
    // The first `capacity` samples of the trusted data (the pretraining split, already in a
    // seeded random order): clean, and what the deployed model learned from.
    const Dataset& trusted = context().trusted();
    std::vector<size_t> first(std::min(trusted.size(), static_cast<size_t>(capacity_)));
    for (size_t i = 0; i < first.size(); ++i) first[i] = i;
    images_ = trusted.subset(first, "guard bank");
    next_ = 0;
    seeded_ = true;
    stale_ = true;
  }
  if (stale_) {
    dim_ = context().feature_dim();
    features_ = context().features(images_);
    stale_ = false;
    update_norms();
    return true;
  }
  return false;
}

void FeatureBank::add(const ScoredSample& sample) {
  if (!sample.features || sample.feature_dim != dim_)
    throw std::logic_error("FeatureBank::add: a sample without the bank's features");
  const auto numel = static_cast<size_t>(images_.shape.numel());
  const auto dim = static_cast<size_t>(dim_);
  if (images_.size() < static_cast<size_t>(capacity_)) {
    images_.pixels.insert(images_.pixels.end(), sample.image, sample.image + numel);
    images_.labels.push_back(sample.label);
    features_.insert(features_.end(), sample.features, sample.features + dim);
    norms_.push_back(faiss::fvec_norm_L2sqr(sample.features, dim));
    return;
  }
  if (capacity_ == 0) return;
  std::copy(sample.image, sample.image + numel, images_.pixels.begin() + next_ * numel);
  images_.labels[next_] = sample.label;
  std::copy(sample.features, sample.features + dim, features_.begin() + next_ * dim);
  norms_[next_] = faiss::fvec_norm_L2sqr(sample.features, dim);
  next_ = (next_ + 1) % static_cast<size_t>(capacity_);
}

int64_t FeatureBank::bytes_at_capacity(int64_t capacity, int64_t image_floats,
                                       int64_t feature_dim) {
  return capacity * ((image_floats + feature_dim) * static_cast<int64_t>(sizeof(float)) +
                     static_cast<int64_t>(sizeof(int64_t)));
}

void FeatureBank::save_state(StateOut& out) const {
  out(seeded_, stale_, dim_, static_cast<uint64_t>(next_), images_.name, images_.shape.channels,
      images_.shape.height, images_.shape.width, images_.num_classes, images_.pixels,
      images_.labels, features_);
}

void FeatureBank::load_state(StateIn& in) {
  uint64_t next = 0;
  in(seeded_, stale_, dim_, next, images_.name, images_.shape.channels, images_.shape.height,
     images_.shape.width, images_.num_classes, images_.pixels, images_.labels, features_);
  next_ = static_cast<size_t>(next);
  const size_t n = images_.labels.size();
  const bool consistent = n <= static_cast<size_t>(capacity_) && dim_ >= 0 && next_ <= n &&
                          (n == 0 || images_.shape.numel() > 0) &&
                          images_.pixels.size() == n * static_cast<size_t>(std::max<int64_t>(
                                                           0, images_.shape.numel())) &&
                          (stale_ || features_.size() == n * static_cast<size_t>(dim_));
  if (!consistent) throw UserError(in.where(), "the saved guard bank is corrupt");
  if (!stale_) update_norms();
}

}  // namespace poisonsim
