#pragma once
// The target copy of the generative method's unrolled rule, on the LibTorch side. Include only
// from .cpp files that use torch.
//
// A window takes differentiable SGD steps of the copy on chunks of G's output and ends with the
// clean-validation loss at the weights reached, whose gradient reaches G through the steps. For
// an MLP target that loss's first layer, X W1'^T + b1', is not computed from W1': the copy keeps
// H = X W1^T + b1 at its own weights, and W1' = W1 - lr * sum_k delta_k^T x_k over the window's
// chunks, so X W1'^T + b1' = H - lr * ((X x^T) delta + 1 sum(delta)) over all the window's rows:
// O(N_val * 784 * r) forward and backward instead of O(N_val * 784 * width) (r: rows in the
// window; when r is large enough that this is dearer, the first layer is computed from W1' as
// before). The same objective and gradient up to float rounding (the tests compare both).
#include <cstdint>
#include <vector>

#include <torch/torch.h>

#include "attackers/generative/copy_start.h"
#include "pipeline/model/model_spec.h"

namespace poisonsim {

class UnrolledCopy {
 public:
  UnrolledCopy(const ModelSpec& spec, std::vector<torch::Tensor> original,
               torch::Tensor validation_images, torch::Tensor validation_labels, double lr);

  void reset();  // back to the original weights
  // One differentiable SGD step of the window on (images, labels); `images` carry G's graph.
  // The first step of a window starts from the copy's weights.
  void step(const torch::Tensor& images, const torch::Tensor& labels);
  // The clean-validation loss at the window's weights, differentiable in its images; ends the
  // window, and the copy keeps the (detached) weights it reached.
  torch::Tensor end_window();

 private:
  const CopyStart start_;  // what every reset returns to
  std::vector<torch::Tensor> copy_;
  torch::Tensor h_;                    // H at the copy's weights
  std::vector<torch::Tensor> window_;  // the window's weights (empty: no window open)
  std::vector<torch::Tensor> xs_;      // the window's chunks, flattened
  std::vector<torch::Tensor> deltas_;  // their gradients at the first layer's output
};

}  // namespace poisonsim
