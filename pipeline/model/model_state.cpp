// TargetModel::state / set_state: the tensors a checkpoint saves (pipeline/simulation/checkpoint).
#include <fmt/format.h>

#include "pipeline/model/torch_model.h"
#include "sim/util/error.h"

namespace poisonsim {
namespace {

// Parameters, then (TorchScript) buffers: everything retraining may change.
std::vector<torch::Tensor> stateful_tensors(const TargetModel::Impl& impl) {
  std::vector<torch::Tensor> tensors = impl.parameters();
  if (impl.script)
    for (const auto& buffer : impl.script->buffers()) tensors.push_back(buffer);
  return tensors;
}

}  // namespace

std::vector<std::vector<float>> TargetModel::state() const {
  std::vector<std::vector<float>> out;
  for (const auto& tensor : stateful_tensors(*impl_)) {
    const auto values = tensor.detach().to(torch::kFloat32).contiguous();
    out.emplace_back(values.data_ptr<float>(), values.data_ptr<float>() + values.numel());
  }
  return out;
}

void TargetModel::set_state(const std::vector<std::vector<float>>& values,
                            const std::string& where) {
  auto tensors = stateful_tensors(*impl_);
  if (values.size() != tensors.size())
    throw UserError(where, fmt::format("holds {} model tensors, the scenario's model has {}",
                                       values.size(), tensors.size()));
  torch::NoGradGuard no_grad;
  for (size_t i = 0; i < tensors.size(); ++i) {
    if (static_cast<int64_t>(values[i].size()) != tensors[i].numel())
      throw UserError(where, fmt::format("model tensor {} holds {} values, the model needs {}", i,
                                         values[i].size(), tensors[i].numel()));
    auto source = torch::from_blob(const_cast<float*>(values[i].data()), tensors[i].sizes(),
                                   torch::kFloat32);
    tensors[i].copy_(source.to(tensors[i].dtype()));
  }
}

}  // namespace poisonsim
