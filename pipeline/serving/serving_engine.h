#pragma once
// The deployed model's serving side: a oneDNN primitive chain built from a ModelSpec
// (inner_product / convolution with fused ReLU post-ops, max pooling), which computes logits,
// predictions and per-sample cross-entropy for a batch. Training happens in LibTorch; after each
// retrain the new weights are loaded here with load_weights(), which only reorders them into the
// buffers the primitives already use (primitives are created once per batch size and reused).
#include <cstdint>
#include <memory>
#include <vector>

#include "pipeline/model/model_spec.h"

namespace poisonsim {

enum class ServingPrecision { f32, bf16 };

struct BatchScores {
  std::vector<float> logits;        // n x num_classes
  std::vector<int64_t> prediction;  // n
  std::vector<float> loss;          // n, cross-entropy against the given labels (empty if none)
  std::vector<float> features;      // n x feature_dim() when asked for, else empty
};

class ServingEngine {
 public:
  // Native (mlp/cnn) specs only; throws UserError for torchscript. bf16 throws UserError when
  // the CPU has no bf16 support (see bf16_supported()).
  explicit ServingEngine(const ModelSpec& spec, ServingPrecision precision = ServingPrecision::f32);
  ~ServingEngine();
  ServingEngine(const ServingEngine&) = delete;
  ServingEngine& operator=(const ServingEngine&) = delete;

  // Copies the weights in (layout as TargetModel::weights()). Cheap: no primitive is created.
  void load_weights(const ModelWeights& weights);

  // Scores n samples (n x C x H x W floats). `labels` may be null: then loss stays empty.
  // `with_features`: also the features guards compare (the last hidden layer after ReLU; the
  // logits for a model without hidden layers).
  // Thread-safe: several threads may score at once between two load_weights() calls.
  BatchScores score(const float* images, const int64_t* labels, int64_t n,
                    bool with_features = false) const;
  int64_t feature_dim() const;

  const ModelSpec& spec() const;
  ServingPrecision precision() const;
  static bool bf16_supported();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace poisonsim
