#include "pipeline/simulation/guard_context.h"

#include <stdexcept>
#include <utility>
#include <vector>

namespace poisonsim {

LastLayer DeploymentGuardContext::last_layer() const {
  const TargetModel& model = deployment_.model();
  if (!model.is_native()) throw std::logic_error("last_layer(): not a native target");
  const ModelSpec& spec = model.spec();
  LastLayer layer;
  layer.num_classes = spec.num_classes;
  layer.feature_dim = deployment_.feature_dim();
  if (spec.hidden.empty()) {
    // The features are the logits already (ServingEngine::feature_dim): the identity.
    const auto k = static_cast<size_t>(spec.num_classes);
    layer.weight.assign(k * k, 0.0f);
    for (size_t c = 0; c < k; ++c) layer.weight[c * k + c] = 1.0f;
    layer.bias.assign(k, 0.0f);
    return layer;
  }
  // Parameters are ordered layer by layer, weight before bias: the last two are the output
  // Linear's (parameter_shapes).
  ModelWeights weights = model.weights();
  ParameterTensor& w = weights[weights.size() - 2];
  ParameterTensor& b = weights.back();
  if (w.shape != std::vector<int64_t>{layer.num_classes, layer.feature_dim} ||
      b.shape != std::vector<int64_t>{layer.num_classes})
    throw std::logic_error("last_layer(): the output layer does not map features to logits");
  layer.weight = std::move(w.values);
  layer.bias = std::move(b.values);
  return layer;
}

}  // namespace poisonsim
