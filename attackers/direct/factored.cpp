#include "attackers/direct/factored_torch.h"

#include <ATen/Dispatch.h>
#include <ATen/Parallel.h>

#include <cmath>
#include <utility>

#include "attackers/direct/factored_kernel.h"

// Notation (x_p the poison, g its rows; X the validation set, N rows; l = 1..L Linear layers):
//   poison   a_0 = x_p, z_l = a_{l-1} W_l^T + b_l, a_l = relu(z_l), delta_L = (softmax(z_L) -
//            onehot)/g, delta_l = (delta_{l+1} W_{l+1}) * [z_l > 0]
//   update   W_l' = W_l - lr delta_l^T a_{l-1}, b_l' = b_l - lr 1^T delta_l
//   validate v_0 = X, u_l = v_{l-1} W_l'^T + b_l' = v_{l-1} W_l^T + b_l - lr S_l^T delta_l with
//            S_l = a_{l-1} v_{l-1}^T + 1 (g x N; the ones column of a_aug/v_aug gives the +1)
//   adjoint  G_L = (softmax(u_L) - onehot)/N, P_l = delta_l G_l^T (g x N),
//            G_{l-1} = (G_l W_l - lr P_l^T a_{l-1}) * [u_{l-1} > 0],
//            dL/d delta_l = -lr S_l G_l,  dL/d a_{l-1} = -lr P_l v_{l-1}  (through the update),
//            then back through the poison's own backward (delta) and forward (a) to dL/dx_p.
// ReLU's mask is piecewise constant, so (as in autograd) it has no derivative of its own.
namespace poisonsim {
namespace {

// Softmax cross-entropy over the rows of `logits` (contiguous, rows x classes): writes
// (softmax - onehot(label)) * scale to `grad` and, when given, softmax to `probs`; returns the
// summed cross-entropy and the number of rows whose first largest logit is the label.
template <typename T>
std::pair<double, int64_t> softmax_rows(const T* logits, const int64_t* labels, int64_t rows,
                                        int64_t classes, T scale, T* probs, T* grad) {
  double loss = 0;
  int64_t correct = 0;
  for (int64_t i = 0; i < rows; ++i) {
    bool hit = false;
    loss +=
        softmax_cross_entropy<T>(logits + i * classes, classes, labels[i], scale,
                                 probs ? probs + i * classes : nullptr, grad + i * classes, &hit);
    correct += hit ? 1 : 0;
  }
  return {loss, correct};
}

// In place: d <- scale * p * (d - rowsum(d * p)), the adjoint of softmax (times scale) per row.
template <typename T>
void softmax_adjoint_rows(const T* probs, T* d, int64_t rows, int64_t classes, T scale) {
  for (int64_t i = 0; i < rows; ++i) {
    const T* p = probs + i * classes;
    T* row = d + i * classes;
    T dot = 0;
    for (int64_t j = 0; j < classes; ++j) dot += row[j] * p[j];
    for (int64_t j = 0; j < classes; ++j) row[j] = scale * p[j] * (row[j] - dot);
  }
}

// Up to this many poison rows, a one-hidden-layer target takes the fused row kernel
// (attackers/direct/factored_kernel.h); beyond it the BLAS path below, whose products are then
// large enough to run near the machine's peak.
constexpr int64_t kFusedMaxGroup = 3;
// Validation rows per block of the fused kernel: fixed, so the blocks' sums (added in block
// order) and hence the result do not depend on how many threads share the blocks.
constexpr int64_t kRowsPerBlock = 128;

// The first `width` columns of an augmented (value | 1) buffer, as an lvalue for *_out ops.
torch::Tensor values_of(const torch::Tensor& augmented, int64_t width) {
  return augmented.narrow(1, 0, width);
}

}  // namespace

FactoredMlpObjective::FactoredMlpObjective(const ModelSpec& spec,
                                           const std::vector<torch::Tensor>& params,
                                           const torch::Tensor& validation_images,
                                           const torch::Tensor& validation_labels, double lr)
    : lr_(lr) {
  torch::NoGradGuard no_grad;
  TORCH_CHECK(spec.kind == ModelKind::mlp, "the factored objective needs an mlp spec");
  layers_ = static_cast<int64_t>(spec.hidden.size()) + 1;
  TORCH_CHECK(static_cast<int64_t>(params.size()) == 2 * layers_, "mlp parameter count");
  const auto dtype = params[0].scalar_type();
  width_.push_back(spec.input.channels * spec.input.height * spec.input.width);
  for (int64_t h : spec.hidden) width_.push_back(h);
  width_.push_back(spec.num_classes);
  for (int64_t l = 0; l < layers_; ++l) {
    const auto weight = params[2 * l].detach().to(dtype).clone();
    const auto bias = params[2 * l + 1].detach().to(dtype).unsqueeze(1);
    w_.push_back(weight);
    waug_.push_back(torch::cat({weight, bias}, 1));
  }
  n_ = validation_images.size(0);
  x_aug_ = torch::ones({n_, width_[0] + 1}, torch::TensorOptions().dtype(dtype));
  values_of(x_aug_, width_[0]).copy_(validation_images.reshape({n_, -1}));
  u1_base_ = torch::mm(x_aug_, waug_[0].t());
  output_bias_ = params.back().detach().to(dtype).contiguous();
  labels_ = validation_labels.to(torch::kInt64).contiguous();
}

// The validation pass and its adjoint in one sweep over the rows (one hidden layer, small g):
// the same quantities validation_pass() and validation_adjoint() leave for poison_adjoint().
void FactoredMlpObjective::fused_validation(bool with_grad) {
  AT_DISPATCH_FLOATING_TYPES(x_aug_.scalar_type(), "factored_fused_rows", [&] {
    OneHiddenProblem<scalar_t> p;
    p.d = width_[0];
    p.h = width_[1];
    p.c = width_[2];
    p.g = g_;
    p.lr = static_cast<scalar_t>(lr_);
    p.inv_n = static_cast<scalar_t>(1.0 / static_cast<double>(n_));
    p.x_val = x_aug_.data_ptr<scalar_t>();
    p.ldx = x_aug_.stride(0);
    p.u1_base = u1_base_.data_ptr<scalar_t>();
    p.labels = labels_.data_ptr<int64_t>();
    p.w2 = w_[1].data_ptr<scalar_t>();
    p.b2 = output_bias_.data_ptr<scalar_t>();
    p.poison = a_aug_[0].data_ptr<scalar_t>();
    p.ldp = a_aug_[0].stride(0);
    p.a1 = a_aug_[1].data_ptr<scalar_t>();
    p.lda = a_aug_[1].stride(0);
    p.delta1 = delta_[0].data_ptr<scalar_t>();
    p.delta2 = delta_[1].data_ptr<scalar_t>();
    p.with_grad = with_grad;
    const int64_t blocks = (n_ + kRowsPerBlock - 1) / kRowsPerBlock;
    std::vector<OneHiddenSums<scalar_t>> sums(static_cast<size_t>(blocks));
    at::parallel_for(0, blocks, 1, [&](int64_t first, int64_t last) {
      for (int64_t b = first; b < last; ++b)
        one_hidden_rows(p, b * kRowsPerBlock, std::min(n_, (b + 1) * kRowsPerBlock),
                        sums[static_cast<size_t>(b)]);
    });
    loss_ = 0;
    correct_ = 0;
    for (const auto& block : sums) {
      loss_ += block.loss;
      correct_ += block.correct;
    }
    if (!with_grad) return;
    auto add_up = [&](torch::Tensor& out, std::vector<scalar_t> OneHiddenSums<scalar_t>::*part) {
      scalar_t* data = out.data_ptr<scalar_t>();
      std::fill(data, data + out.numel(), scalar_t(0));
      for (const auto& block : sums) {
        const auto& values = block.*part;
        for (size_t i = 0; i < values.size(); ++i) data[i] += values[i];
      }
    };
    add_up(adj_delta_[0], &OneHiddenSums<scalar_t>::adj_delta1);
    add_up(adj_delta_[1], &OneHiddenSums<scalar_t>::adj_delta2);
    add_up(adj_a_[1], &OneHiddenSums<scalar_t>::adj_a1);
    add_up(adj_a_[0], &OneHiddenSums<scalar_t>::adj_x);
  });
}

void FactoredMlpObjective::allocate(int64_t g) {
  g_ = g;
  const auto options = torch::TensorOptions().dtype(w_[0].scalar_type());
  const auto L = static_cast<size_t>(layers_);
  a_aug_.assign(L, {});
  adj_a_.assign(L, {});
  z_.assign(L, {});
  delta_.assign(L, {});
  s_.assign(L, {});
  u_.assign(L, {});
  grad_u_.assign(L, {});
  p_.assign(L, {});
  adj_delta_.assign(L, {});
  v_aug_.assign(L - 1, {});
  for (size_t l = 0; l < L; ++l) {
    const int64_t in = width_[l];
    const int64_t out = width_[l + 1];
    a_aug_[l] = torch::ones({g, in + 1}, options);
    adj_a_[l] = torch::zeros({g, in}, options);
    z_[l] = torch::zeros({g, out}, options);
    delta_[l] = torch::zeros({g, out}, options);
    s_[l] = torch::zeros({g, n_}, options);
    u_[l] = torch::zeros({n_, out}, options);
    grad_u_[l] = torch::zeros({n_, out}, options);
    p_[l] = torch::zeros({g, n_}, options);
    adj_delta_[l] = torch::zeros({g, out}, options);
    if (l + 1 < L) v_aug_[l] = torch::ones({n_, out + 1}, options);
  }
  probs_ = torch::zeros({g, width_.back()}, options);
}

// The poison's forward and backward at W: a_l, z_l, softmax and delta_l.
void FactoredMlpObjective::poison_pass(const torch::Tensor& poison,
                                       const torch::Tensor& poison_labels) {
  auto input = values_of(a_aug_[0], width_[0]);
  input.copy_(poison.reshape({g_, -1}));
  for (int64_t l = 0; l < layers_; ++l) {
    at::mm_out(z_[l], a_aug_[l], waug_[l].t());
    if (l + 1 < layers_) {
      auto activation = values_of(a_aug_[l + 1], width_[l + 1]);
      at::clamp_min_out(activation, z_[l], 0);
    }
  }
  const auto labels = poison_labels.to(torch::kInt64).contiguous();
  auto& top = delta_.back();
  AT_DISPATCH_FLOATING_TYPES(top.scalar_type(), "factored_poison_softmax", [&] {
    softmax_rows<scalar_t>(z_.back().data_ptr<scalar_t>(), labels.data_ptr<int64_t>(), g_,
                           width_.back(), static_cast<scalar_t>(1.0 / static_cast<double>(g_)),
                           probs_.data_ptr<scalar_t>(), top.data_ptr<scalar_t>());
  });
  for (int64_t l = layers_ - 2; l >= 0; --l) {
    at::mm_out(delta_[l], delta_[l + 1], w_[l + 1]);
    at::threshold_backward_out(delta_[l], delta_[l], z_[l], 0);
  }
}

// The validation set's forward at W' from the pre-update first layer plus rank-g corrections.
void FactoredMlpObjective::validation_pass() {
  at::mm_out(s_[0], a_aug_[0], x_aug_.t());
  at::addmm_out(u_[0], u1_base_, s_[0].t(), delta_[0], 1, -lr_);
  for (int64_t l = 1; l < layers_; ++l) {
    auto activation = values_of(v_aug_[l - 1], width_[l]);
    at::clamp_min_out(activation, u_[l - 1], 0);
    at::mm_out(s_[l], a_aug_[l], v_aug_[l - 1].t());
    at::mm_out(u_[l], v_aug_[l - 1], waug_[l].t());
    u_[l].addmm_(s_[l].t(), delta_[l], 1, -lr_);
  }
  auto& top = grad_u_.back();
  AT_DISPATCH_FLOATING_TYPES(top.scalar_type(), "factored_validation_softmax", [&] {
    const auto [loss, correct] = softmax_rows<scalar_t>(
        u_.back().data_ptr<scalar_t>(), labels_.data_ptr<int64_t>(), n_, width_.back(),
        static_cast<scalar_t>(1.0 / static_cast<double>(n_)), nullptr, top.data_ptr<scalar_t>());
    loss_ = loss;
    correct_ = correct;
  });
}

// dL_val/d delta_l and the validation side of dL_val/d a_{l-1}, layer by layer from the top.
void FactoredMlpObjective::validation_adjoint() {
  for (int64_t l = layers_ - 1; l >= 0; --l) {
    at::mm_out(p_[l], delta_[l], grad_u_[l].t());
    at::addmm_out(adj_delta_[l], adj_delta_[l], s_[l], grad_u_[l], 0, -lr_);
    const auto below = l > 0 ? values_of(v_aug_[l - 1], width_[l]) : values_of(x_aug_, width_[0]);
    at::addmm_out(adj_a_[l], adj_a_[l], p_[l], below, 0, -lr_);
    if (l == 0) break;
    at::mm_out(grad_u_[l - 1], grad_u_[l], w_[l]);
    grad_u_[l - 1].addmm_(p_[l].t(), values_of(a_aug_[l], width_[l]), 1, -lr_);
    at::threshold_backward_out(grad_u_[l - 1], grad_u_[l - 1], u_[l - 1], 0);
  }
}

// Back through the poison's own backward (delta_l from delta_{l+1}, softmax) and forward
// (z_l from a_{l-1}), adding to dL_val/d a_l; leaves dL_val/dx_p in adj_a_[0].
void FactoredMlpObjective::poison_adjoint() {
  for (int64_t l = 0; l + 1 < layers_; ++l) {
    at::threshold_backward_out(adj_delta_[l], adj_delta_[l], z_[l], 0);
    adj_delta_[l + 1].addmm_(adj_delta_[l], w_[l + 1].t());
  }
  auto& top = adj_delta_.back();  // becomes dL_val/dz_L
  AT_DISPATCH_FLOATING_TYPES(top.scalar_type(), "factored_softmax_adjoint", [&] {
    softmax_adjoint_rows<scalar_t>(probs_.data_ptr<scalar_t>(), top.data_ptr<scalar_t>(), g_,
                                   width_.back(),
                                   static_cast<scalar_t>(1.0 / static_cast<double>(g_)));
  });
  for (int64_t l = layers_ - 1; l >= 0; --l) {
    adj_a_[l].addmm_(adj_delta_[l], w_[l]);  // adj_delta_[l] holds dL_val/dz_{l+1} here
    if (l > 0) at::threshold_backward_out(adj_delta_[l - 1], adj_a_[l], z_[l - 1], 0);
  }
}

DirectObjective FactoredMlpObjective::evaluate(const torch::Tensor& poison,
                                               const torch::Tensor& poison_labels, bool with_grad) {
  torch::NoGradGuard no_grad;
  const FlushSubnormals flush;  // here; the fused kernel's threads flush their own
  const int64_t g = poison.size(0);
  if (g != g_) allocate(g);
  poison_pass(poison.detach(), poison_labels);
  const bool fused = layers_ == 2 && g <= kFusedMaxGroup;
  if (fused)
    fused_validation(with_grad);
  else
    validation_pass();
  DirectObjective out;
  out.loss = loss_ / static_cast<double>(n_);
  out.accuracy = static_cast<double>(correct_) / static_cast<double>(n_);
  if (with_grad) {
    if (!fused) validation_adjoint();
    poison_adjoint();
    out.grad = adj_a_[0].reshape(poison.sizes()).to(poison.scalar_type(), false, /*copy=*/true);
  }
  return out;
}

}  // namespace poisonsim
