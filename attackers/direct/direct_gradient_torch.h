#pragma once
// The direct method's objective on the LibTorch side, separate so that tests can check the
// second-order gradient in float64. Include only from .cpp files that use torch.
#include <cstdint>
#include <vector>

#include <torch/torch.h>

#include "attackers/common/victim_retraining_torch.h"
#include "pipeline/model/model_spec.h"

namespace poisonsim {

struct DirectObjective {
  double loss = 0;      // L(x_val; W'(x_p)): clean-validation cross-entropy after the update
  double accuracy = 0;  // clean-validation accuracy after the update
  torch::Tensor grad;   // dL/dx_p (shape of x_p); undefined unless asked for
};

// Simulates the victim's update W' = W - lr * dL(x_p; W)/dW as `unroll_steps` SGD steps over
// consecutive chunks of the poison (at most one chunk per sample), evaluates the validation
// loss at W' and, with `with_grad`, differentiates it with respect to `poison` (which must then
// require grad). `params` must require grad; they are not modified. Works in any float dtype.
// With `clean` (the victim-aware objective), each step also trains on its clean chunk.
DirectObjective direct_objective(const ModelSpec& spec, const std::vector<torch::Tensor>& params,
                                 const torch::Tensor& poison, const torch::Tensor& poison_labels,
                                 const torch::Tensor& validation_images,
                                 const torch::Tensor& validation_labels, double lr,
                                 int64_t unroll_steps, bool with_grad,
                                 const CleanChunks* clean = nullptr);

}  // namespace poisonsim
