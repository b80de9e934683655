#pragma once
// What both target copies of the generative method (first_order_copy.h, unrolled_copy.h) start
// from: the target's weights, the clean-validation subset and, for an MLP target, that subset's
// first-layer pre-activations at the original weights, H = X W1^T + b1, which the copies move by
// low-rank changes instead of recomputing. Include only from .cpp files that use torch.
#include <vector>

#include <torch/torch.h>

#include "pipeline/model/model_spec.h"

namespace poisonsim {

struct CopyStart {
  // `original` is detached, not modified and shared.
  CopyStart(const ModelSpec& model, std::vector<torch::Tensor> weights,
            torch::Tensor validation_images, torch::Tensor validation_labels, double step_lr);

  const ModelSpec& spec;
  std::vector<torch::Tensor> original;
  torch::Tensor validation_x;  // flattened, N_val x inputs (factored) or as given
  torch::Tensor validation_y;
  double lr;
  bool factored;             // an MLP target: the first layer is kept as H
  torch::Tensor original_h;  // H at the original weights (factored only)
};

inline torch::Tensor copy_cross_entropy(const torch::Tensor& logits, const torch::Tensor& labels) {
  return torch::nn::functional::cross_entropy(logits, labels);
}

}  // namespace poisonsim
