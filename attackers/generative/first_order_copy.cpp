#include "attackers/generative/first_order_copy.h"

#include <algorithm>

#include <ATen/Parallel.h>

#include "pipeline/model/torch_model.h"

namespace poisonsim {

FirstOrderCopy::FirstOrderCopy(const ModelSpec& spec, std::vector<torch::Tensor> original,
                               torch::Tensor validation_images, torch::Tensor validation_labels,
                               double lr)
    : start_(spec, std::move(original), std::move(validation_images), std::move(validation_labels),
             lr) {
  reset();
}

void FirstOrderCopy::reset() {
  // Steps make new tensors and never write in place, so the copy may share the original's.
  copy_ = start_.original;
  if (start_.factored) h_ = start_.original_h.clone();
  pending_x_.clear();
  pending_delta_.clear();
}

void FirstOrderCopy::step(const torch::Tensor& images, const torch::Tensor& labels) {
  std::vector<torch::Tensor> w;
  for (const auto& p : copy_) w.push_back(p.detach().requires_grad_(true));
  if (!start_.factored) {
    const auto next = functional_sgd_step(start_.spec, w, images, labels, start_.lr, false);
    torch::NoGradGuard no_grad;
    for (size_t i = 0; i < copy_.size(); ++i) copy_[i] = next[i].detach();
    return;
  }
  // functional_forward for an mlp, keeping the first layer's output for its gradient (delta).
  const auto x = images.flatten(1);
  const auto first = torch::linear(x, w[0], w[1]);
  torch::Tensor a = first;
  const size_t layers = start_.spec.hidden.size() + 1;
  for (size_t i = 1; i < layers; ++i) a = torch::linear(torch::relu(a), w[2 * i], w[2 * i + 1]);
  auto inputs = w;
  inputs.push_back(first);
  const auto grads = torch::autograd::grad({copy_cross_entropy(a, labels)}, inputs);
  torch::NoGradGuard no_grad;
  for (size_t i = 0; i < copy_.size(); ++i) copy_[i] = w[i].detach() - start_.lr * grads[i];
  pending_x_.push_back(x.detach());
  pending_delta_.push_back(grads.back());
}

void FirstOrderCopy::update_h() {
  if (pending_x_.empty()) return;
  const auto x = pending_x_.size() == 1 ? pending_x_[0] : torch::cat(pending_x_);
  const auto delta = pending_delta_.size() == 1 ? pending_delta_[0] : torch::cat(pending_delta_);
  pending_x_.clear();
  pending_delta_.clear();
  const int64_t rows = x.size(0);
  const int64_t inputs = start_.validation_x.size(1);
  const int64_t width = h_.size(1);
  const bool afresh = rows * (inputs + width) >= inputs * width;
  const auto xt = x.t().contiguous();
  const auto bias_change = delta.sum(0);
  // Fixed blocks of H's rows, shared out among the training threads (OpenBLAS runs one thread
  // inside each): every block is the same computation whatever the thread count.
  constexpr int64_t kBlock = 256;
  const int64_t n = h_.size(0);
  at::parallel_for(0, (n + kBlock - 1) / kBlock, 1, [&](int64_t first_block, int64_t end_block) {
    for (int64_t block = first_block; block < end_block; ++block) {
      const int64_t begin = block * kBlock;
      const int64_t rows_here = std::min(kBlock, n - begin);
      auto h = h_.narrow(0, begin, rows_here);
      const auto v = start_.validation_x.narrow(0, begin, rows_here);
      if (afresh) {
        h.copy_(torch::linear(v, copy_[0], copy_[1]));
      } else {
        // H' = X W1'^T + b1' = H - lr * ((X x^T) delta + 1 db1^T), for W1' = W1 - lr delta^T x.
        h.addmm_(v.mm(xt), delta, 1.0, -start_.lr);
        h.sub_(bias_change, start_.lr);
      }
    }
  });
}

double FirstOrderCopy::validation_loss() {
  torch::NoGradGuard no_grad;
  if (!start_.factored)
    return copy_cross_entropy(functional_forward(start_.spec, copy_, start_.validation_x),
                              start_.validation_y)
        .item<double>();
  update_h();
  torch::Tensor a = h_;
  const size_t layers = start_.spec.hidden.size() + 1;
  for (size_t i = 1; i < layers; ++i)
    a = torch::linear(torch::relu(a), copy_[2 * i], copy_[2 * i + 1]);
  return copy_cross_entropy(a, start_.validation_y).item<double>();
}

}  // namespace poisonsim
