#pragma once
// The generative method's auto-encoder G on the LibTorch side. Include only from .cpp files that
// use torch.
#include <cstdint>
#include <string>
#include <vector>

#include <torch/torch.h>

#include "attackers/generative/generative_attack.h"
#include "pipeline/data/dataset.h"

namespace poisonsim {

class GeneratorNet {
 public:
  // Resolves `automatic` for `input` and draws the weights from a stream derived from `seed`
  // (PyTorch's default ranges), so the same seed gives the same G on every machine. Throws
  // UserError naming `where` when the spec does not fit the input.
  GeneratorNet(const GeneratorSpec& spec, const ImageShape& input, uint64_t seed,
               const std::string& where = "generator");

  // N x C x H x W images in [0, 1] to the same shape: in (0, 1) (sigmoid output), or with
  // spec.residual > 0 the input moved by at most that much per pixel, in [0, 1].
  torch::Tensor forward(const torch::Tensor& images) const;

  GeneratorKind kind() const { return kind_; }  // never automatic
  const ImageShape& input() const { return input_; }
  std::string describe() const;  // e.g. "mlp 784-256-64-256-784"

  // The trainable tensors (they require grad), for the optimiser.
  const std::vector<torch::Tensor>& parameters() const { return params_; }
  // Detached copies of the weights, and putting such copies back (checkpoint selection).
  std::vector<torch::Tensor> snapshot() const;
  void restore(const std::vector<torch::Tensor>& weights);

 private:
  torch::Tensor forward_mlp(const torch::Tensor& images) const;
  torch::Tensor forward_conv(const torch::Tensor& images) const;

  GeneratorKind kind_;
  GeneratorSpec spec_;
  ImageShape input_;
  std::vector<torch::Tensor> params_;  // weight, bias per layer, input to output
};

}  // namespace poisonsim
