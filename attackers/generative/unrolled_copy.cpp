#include "attackers/generative/unrolled_copy.h"

#include "pipeline/model/torch_model.h"

namespace poisonsim {
namespace {

std::vector<torch::Tensor> leaves(const std::vector<torch::Tensor>& params) {
  std::vector<torch::Tensor> out;
  for (const auto& p : params) out.push_back(p.detach().requires_grad_(true));
  return out;
}

}  // namespace

UnrolledCopy::UnrolledCopy(const ModelSpec& spec, std::vector<torch::Tensor> original,
                           torch::Tensor validation_images, torch::Tensor validation_labels,
                           double lr)
    : start_(spec, std::move(original), std::move(validation_images), std::move(validation_labels),
             lr) {
  reset();
}

void UnrolledCopy::reset() {
  // Nothing writes the copy's tensors in place, so it may share the original's.
  copy_ = start_.original;
  h_ = start_.original_h;
  window_.clear();
  xs_.clear();
  deltas_.clear();
}

void UnrolledCopy::step(const torch::Tensor& images, const torch::Tensor& labels) {
  if (window_.empty()) window_ = leaves(copy_);
  if (!start_.factored) {
    window_ =
        functional_sgd_step(start_.spec, window_, images, labels, start_.lr, /*create_graph=*/true);
    return;
  }
  // functional_sgd_step for an mlp, keeping the first layer's output for its gradient (delta).
  const auto x = images.flatten(1);
  const auto first = torch::linear(x, window_[0], window_[1]);
  torch::Tensor a = first;
  const size_t layers = start_.spec.hidden.size() + 1;
  for (size_t i = 1; i < layers; ++i)
    a = torch::linear(torch::relu(a), window_[2 * i], window_[2 * i + 1]);
  auto inputs = window_;
  inputs.push_back(first);
  // retain_graph with create_graph: the second derivative runs back through this forward.
  const auto grads = torch::autograd::grad({copy_cross_entropy(a, labels)}, inputs, {},
                                           /*retain_graph=*/true, /*create_graph=*/true);
  for (size_t i = 0; i < window_.size(); ++i) window_[i] = window_[i] - start_.lr * grads[i];
  xs_.push_back(x);
  deltas_.push_back(grads.back());
}

torch::Tensor UnrolledCopy::end_window() {
  if (window_.empty()) window_ = leaves(copy_);
  torch::Tensor loss;
  if (!start_.factored) {
    loss = copy_cross_entropy(functional_forward(start_.spec, window_, start_.validation_x),
                              start_.validation_y);
  } else {
    int64_t rows = 0;
    for (const auto& x : xs_) rows += x.size(0);
    const int64_t inputs = start_.validation_x.size(1);
    const int64_t width = h_.size(1);
    torch::Tensor h;
    if (rows * (inputs + width) >= inputs * width) {
      h = torch::linear(start_.validation_x, window_[0], window_[1]);
    } else if (rows > 0) {
      const auto x = xs_.size() == 1 ? xs_[0] : torch::cat(xs_);
      const auto delta = deltas_.size() == 1 ? deltas_[0] : torch::cat(deltas_);
      // X W1'^T + b1' = H - lr * ((X x^T) delta + 1 sum(delta)), W1' = W1 - lr delta^T x.
      h = h_ - start_.lr * (start_.validation_x.mm(x.t()).mm(delta) + delta.sum(0));
    } else {
      h = h_;
    }
    torch::Tensor a = h;
    const size_t layers = start_.spec.hidden.size() + 1;
    for (size_t i = 1; i < layers; ++i)
      a = torch::linear(torch::relu(a), window_[2 * i], window_[2 * i + 1]);
    loss = copy_cross_entropy(a, start_.validation_y);
    h_ = h.detach();
  }
  for (auto& w : window_) w = w.detach();
  copy_ = window_;
  window_.clear();
  xs_.clear();
  deltas_.clear();
  return loss;
}

}  // namespace poisonsim
