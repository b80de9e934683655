#pragma once
// A labelled image data set held in plain memory (no LibTorch here, so any file may include it).
// Pixels are float in [0, 1], stored sample after sample in CHW order.
#include <cstdint>
#include <string>
#include <vector>

namespace poisonsim {

class RandomStream;

// A class drawn uniformly from the num_classes - 1 classes other than `label` (label noise,
// random wrong labels of attacks).
int64_t random_other_class(int64_t label, int64_t num_classes, RandomStream& rng);

struct ImageShape {
  int64_t channels = 1;
  int64_t height = 28;
  int64_t width = 28;

  int64_t numel() const { return channels * height * width; }
  std::string str() const;  // "1x28x28"
  bool operator==(const ImageShape& o) const {
    return channels == o.channels && height == o.height && width == o.width;
  }
  bool operator!=(const ImageShape& o) const { return !(*this == o); }
};

struct Dataset {
  std::string name;  // where it came from, for messages
  ImageShape shape;
  int64_t num_classes = 10;
  std::vector<float> pixels;  // size() * shape.numel() values
  std::vector<int64_t> labels;

  size_t size() const { return labels.size(); }
  bool empty() const { return labels.empty(); }
  const float* image(size_t i) const { return pixels.data() + i * shape.numel(); }
  float* image(size_t i) { return pixels.data() + i * shape.numel(); }

  // A new data set holding the given samples, in the given order.
  Dataset subset(const std::vector<size_t>& indices, const std::string& subset_name = "") const;
  // Appends the samples of `other`; shapes and class counts must agree.
  void append(const Dataset& other);
  // Throws std::logic_error when sizes disagree or a label is out of range.
  void check_consistent() const;
};

// A data set file pair as published: training part and test part.
struct TrainTestData {
  Dataset train;
  Dataset test;
};

}  // namespace poisonsim
