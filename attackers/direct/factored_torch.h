#pragma once
// The direct method's objective and its exact gradient for an MLP target, written out by hand
// (the "factored" engine). One SGD step on g poison samples changes every Linear layer by a
// rank-g matrix, W_l' = W_l - lr * delta_l^T a_{l-1} (delta: the poison's back-propagated
// signals, including the 1/g of the mean loss; a: its activations; biases likewise with a column
// of ones), so the clean-validation pass at W' is the pass at W plus low-rank corrections and
// its gradient with respect to the poison runs through delta_l and a_{l-1} only:
// O(N_val * width * g) per evaluation, no autograd graph, no double backward.
// Include only from .cpp files that use torch.
#include <cstdint>
#include <vector>

#include <torch/torch.h>

#include "attackers/direct/direct_gradient_torch.h"
#include "pipeline/model/model_spec.h"

namespace poisonsim {

class FactoredMlpObjective {
 public:
  // `params` in parameter_shapes() order (an mlp spec); their dtype is the working dtype. The
  // validation images go through the first layer once here, so this object belongs to one
  // target model and one validation set; it copies what it keeps.
  FactoredMlpObjective(const ModelSpec& spec, const std::vector<torch::Tensor>& params,
                       const torch::Tensor& validation_images,
                       const torch::Tensor& validation_labels, double lr);

  // The same as direct_objective(spec, params, poison, ..., unroll_steps = 1, with_grad), to
  // float rounding. `poison` need not require grad; the result's grad has its shape and dtype.
  DirectObjective evaluate(const torch::Tensor& poison, const torch::Tensor& poison_labels,
                           bool with_grad);

 private:
  void allocate(int64_t g);
  void poison_pass(const torch::Tensor& poison, const torch::Tensor& poison_labels);
  void fused_validation(bool with_grad);
  void validation_pass();
  void validation_adjoint();
  void poison_adjoint();

  double lr_;
  int64_t layers_ = 0;               // Linear layers L
  std::vector<int64_t> width_;       // width_[0] = input features, width_[L] = classes
  std::vector<torch::Tensor> w_;     // W_l (w_l x w_{l-1}), index l - 1
  std::vector<torch::Tensor> waug_;  // [W_l | b_l] (w_l x (w_{l-1} + 1)), index l - 1
  torch::Tensor x_aug_;              // validation images flattened, with a column of ones
  torch::Tensor u1_base_;            // X W_1^T + b_1: the first layer at W, computed once
  torch::Tensor output_bias_;        // b_L, contiguous
  torch::Tensor labels_;             // validation labels (int64)
  int64_t n_ = 0;                    // validation rows

  // Per group size g (reallocated when g changes); index l as in the comment of each.
  int64_t g_ = -1;
  double loss_ = 0;
  int64_t correct_ = 0;
  std::vector<torch::Tensor> a_aug_;      // l = 0..L-1: poison activations | 1 (g x (w_l + 1))
  std::vector<torch::Tensor> z_;          // l = 1..L at l - 1: poison pre-activations (g x w_l)
  std::vector<torch::Tensor> delta_;      // l = 1..L at l - 1: poison signals dL_p/dz_l (g x w_l)
  torch::Tensor probs_;                   // softmax of the poison logits (g x C)
  std::vector<torch::Tensor> s_;          // l = 1..L at l - 1: a_aug_{l-1} v_aug_{l-1}^T (g x N)
  std::vector<torch::Tensor> u_;          // l = 1..L at l - 1: validation pre-activations at W'
  std::vector<torch::Tensor> v_aug_;      // l = 1..L-1 at l - 1: validation activations | 1
  std::vector<torch::Tensor> grad_u_;     // l = 1..L at l - 1: dL_val/du_l (N x w_l)
  std::vector<torch::Tensor> p_;          // l = 1..L at l - 1: delta_l (dL_val/du_l)^T (g x N)
  std::vector<torch::Tensor> adj_delta_;  // l = 1..L at l - 1: dL_val/d delta_l (g x w_l)
  std::vector<torch::Tensor> adj_a_;      // l = 0..L-1: dL_val/d a_l (g x w_l)
};

}  // namespace poisonsim
