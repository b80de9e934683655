#pragma once
// The target copy of the generative method's first-order rule and its clean-validation loss (the
// rule's reward), on the LibTorch side. Include only from .cpp files that use torch.
//
// The reward needs the copy's loss on the validation subset after every G step: a full forward
// pass over N_val rows, most of it the first layer, X W1^T (for the default MLP and 1000 rows
// ~70% of a G step's arithmetic). For an MLP target the copy keeps those first-layer
// pre-activations instead, H = X W1^T + b1, computed once from the original weights. An SGD step
// on a chunk x (c rows) changes W1 by the rank-c matrix lr * delta^T x (delta: the chunk's
// gradient at the first layer's output), so H moves by lr * (X x^T) delta, O(N_val * 784 * c)
// instead of O(N_val * 784 * width); the layers after the first run as before. The steps' changes
// are applied together when the reward is asked for, as one product over all their rows, or, when
// more rows were stepped than make that cheaper (r > 784 * width / (784 + width)), H is computed
// afresh; either way in fixed blocks of rows shared out among the training threads. The reward
// is the same number up to float rounding (the tests compare it with the direct computation).
#include <cstdint>
#include <vector>

#include <torch/torch.h>

#include "attackers/generative/copy_start.h"
#include "pipeline/model/model_spec.h"

namespace poisonsim {

class FirstOrderCopy {
 public:
  // `original`: the target's weights (not modified, shared). Validation images and labels are
  // the reward's clean subset.
  FirstOrderCopy(const ModelSpec& spec, std::vector<torch::Tensor> original,
                 torch::Tensor validation_images, torch::Tensor validation_labels, double lr);

  void reset();  // back to the original weights
  // One SGD step of the copy on (images, labels), which do not need gradients.
  void step(const torch::Tensor& images, const torch::Tensor& labels);
  // The copy's mean cross-entropy on the validation subset.
  double validation_loss();
  // The copy's weights; they do not require grad (G's gradient goes through them to x_p only).
  const std::vector<torch::Tensor>& weights() const { return copy_; }

 private:
  const CopyStart start_;  // what every reset returns to
  std::vector<torch::Tensor> copy_;
  torch::Tensor h_;                           // H at the copy's weights, but for the pending steps
  std::vector<torch::Tensor> pending_x_;      // chunks stepped on since h_ was brought up to date
  std::vector<torch::Tensor> pending_delta_;  // their gradients at the first layer's output

  void update_h();
};

}  // namespace poisonsim
