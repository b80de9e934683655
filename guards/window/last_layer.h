#pragma once
// The deployed model's last layer (GuardContext::last_layer) as the stages that work on it see
// it: double tensors, and each sample's cross-entropy or softmax residual under it. Included only
// by guards/window/*.cpp (it brings in LibTorch).
#include <cstdint>
#include <vector>

#include <torch/torch.h>

#include "pipeline/plugins/sample_guard.h"

namespace poisonsim::window {

// weight: num_classes x feature_dim, bias: num_classes, both double (copies).
struct LayerTensors {
  torch::Tensor weight;
  torch::Tensor bias;
};

// std::logic_error when the layer does not take `feature_dim` features.
LayerTensors layer_tensors(const LastLayer& layer, int64_t feature_dim);

// Labels as an int64 tensor.
torch::Tensor label_tensor(const std::vector<int64_t>& labels);

// Each row's cross-entropy, -log softmax(x W^T + b)[label]; x is rows x feature_dim (double).
torch::Tensor cross_entropy_rows(const torch::Tensor& x, const torch::Tensor& labels,
                                 const torch::Tensor& weight, const torch::Tensor& bias);

}  // namespace poisonsim::window
