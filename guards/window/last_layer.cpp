#include "guards/window/last_layer.h"

#include <stdexcept>

namespace poisonsim::window {

LayerTensors layer_tensors(const LastLayer& layer, int64_t feature_dim) {
  if (layer.feature_dim != feature_dim || layer.num_classes < 1 ||
      layer.weight.size() != static_cast<size_t>(layer.num_classes * feature_dim) ||
      layer.bias.size() != static_cast<size_t>(layer.num_classes))
    throw std::logic_error("the last layer does not take the window's features");
  const auto weight = torch::from_blob(const_cast<float*>(layer.weight.data()),
                                       {layer.num_classes, feature_dim}, torch::kFloat);
  const auto bias =
      torch::from_blob(const_cast<float*>(layer.bias.data()), {layer.num_classes}, torch::kFloat);
  return {weight.to(torch::kDouble), bias.to(torch::kDouble)};
}

torch::Tensor label_tensor(const std::vector<int64_t>& labels) {
  return torch::tensor(labels, torch::kLong);
}

torch::Tensor cross_entropy_rows(const torch::Tensor& x, const torch::Tensor& labels,
                                 const torch::Tensor& weight, const torch::Tensor& bias) {
  const auto log_p = torch::log_softmax(torch::addmm(bias, x, weight.t()), 1);
  return -log_p.gather(1, labels.unsqueeze(1)).squeeze(1);
}

}  // namespace poisonsim::window
