#include "pipeline/data/dataset.h"

#include "sim/kernel/random_stream.h"

#include <algorithm>
#include <stdexcept>

#include <fmt/format.h>

namespace poisonsim {

int64_t random_other_class(int64_t label, int64_t num_classes, RandomStream& rng) {
  // Skip over `label`: a shift of 1 .. K-1 reaches every other class once.
  const auto k = static_cast<uint64_t>(num_classes);
  return static_cast<int64_t>((static_cast<uint64_t>(label) + 1 + rng.below(k - 1)) % k);
}

std::string ImageShape::str() const { return fmt::format("{}x{}x{}", channels, height, width); }

Dataset Dataset::subset(const std::vector<size_t>& indices, const std::string& subset_name) const {
  Dataset out;
  out.name = subset_name.empty() ? name : subset_name;
  out.shape = shape;
  out.num_classes = num_classes;
  const auto per = static_cast<size_t>(shape.numel());
  out.pixels.resize(indices.size() * per);
  out.labels.resize(indices.size());
  for (size_t k = 0; k < indices.size(); ++k) {
    const size_t i = indices[k];
    if (i >= size()) throw std::out_of_range(fmt::format("{}: sample {} of {}", name, i, size()));
    std::copy_n(image(i), per, out.image(k));
    out.labels[k] = labels[i];
  }
  return out;
}

void Dataset::append(const Dataset& other) {
  if (other.shape != shape || other.num_classes != num_classes)
    throw std::logic_error(fmt::format("cannot append {} ({}, {} classes) to {} ({}, {} classes)",
                                       other.name, other.shape.str(), other.num_classes, name,
                                       shape.str(), num_classes));
  pixels.insert(pixels.end(), other.pixels.begin(), other.pixels.end());
  labels.insert(labels.end(), other.labels.begin(), other.labels.end());
}

void Dataset::check_consistent() const {
  if (pixels.size() != size() * static_cast<size_t>(shape.numel()))
    throw std::logic_error(fmt::format("{}: {} pixels for {} samples of {}", name, pixels.size(),
                                       size(), shape.str()));
  for (size_t i = 0; i < size(); ++i)
    if (labels[i] < 0 || labels[i] >= num_classes)
      throw std::logic_error(fmt::format("{}: label {} of sample {} outside [0, {})", name,
                                         labels[i], i, num_classes));
}

}  // namespace poisonsim
