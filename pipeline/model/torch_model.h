#pragma once
// LibTorch side of TargetModel. Include only from .cpp files that use torch: <torch/torch.h>
// costs ~20 s of compile time per translation unit.
#include <optional>
#include <vector>

#include <torch/script.h>
#include <torch/torch.h>

#include "pipeline/data/dataset.h"
#include "pipeline/model/target_model.h"

namespace poisonsim {

// The network as a pure function of its parameters, so attackers can evaluate it at updated
// parameters (W' = W - lr * dL/dW) and differentiate through the update.
torch::Tensor functional_forward(const ModelSpec& spec, const std::vector<torch::Tensor>& params,
                                 const torch::Tensor& images);

// One SGD step of the victim as a function of the parameters: W - lr * dL(images, labels; W)/dW.
// With `create_graph` the result stays differentiable in W and the images, so an attacker can
// back-propagate through the update (second derivatives); without, it is a plain step.
std::vector<torch::Tensor> functional_sgd_step(const ModelSpec& spec,
                                               const std::vector<torch::Tensor>& params,
                                               const torch::Tensor& images,
                                               const torch::Tensor& labels, double lr,
                                               bool create_graph);

struct TargetModel::Impl {
  ModelSpec spec;
  std::vector<torch::Tensor> params;         // native kinds, in parameter_shapes() order
  std::optional<torch::jit::Module> script;  // torchscript kind

  torch::Tensor forward(const torch::Tensor& images) const;  // logits, N x classes
  std::vector<torch::Tensor> parameters() const;
  void set_training(bool training);  // matters for TorchScript modules with dropout/batchnorm
};

// Logits of `model` for every image, without gradients, in forward passes of at most `chunk`
// rows so memory stays bounded for large inputs (N x classes).
torch::Tensor forward_in_chunks(const TargetModel& model, const torch::Tensor& images,
                                int64_t chunk = 1024);

// Views of a data set as tensors, without copying (the data set must outlive them).
torch::Tensor images_tensor(const Dataset& data);  // N x C x H x W, float
torch::Tensor labels_tensor(const Dataset& data);  // N, int64

}  // namespace poisonsim
