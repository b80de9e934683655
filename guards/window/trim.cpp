#include "guards/window/trim.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <stdexcept>

#include "guards/per_sample/conformal_threshold.h"
#include "guards/window/class_rows.h"
#include "guards/window/last_layer.h"
#include "pipeline/scenario/config_node.h"
#include "sim/kernel/state_archive.h"

namespace poisonsim {

TrimOptions read_trim_options(ConfigNode& node) {
  TrimOptions o;
  o.trim = node.get<double>("trim", o.trim, [](const double& v) {
    return v > 0 && v <= 0.5 ? std::string() : std::string("a number > 0 and at most 0.5");
  });
  o.quantile = node.get<double>("quantile", o.quantile, in_range(0.5, 1));
  o.max_rounds = node.get<int64_t>("max_rounds", o.max_rounds, int_in_range(1, 100));
  o.steps = node.get<int64_t>("steps", o.steps, int_in_range(1, 10000));
  o.weight_decay = node.get<double>("weight_decay", o.weight_decay, in_range(1e-8, 10));
  o.min_class_samples =
      node.get<int64_t>("min_class_samples", o.min_class_samples, int_in_range(2, 1000000));
  o.bank_size = node.get<int64_t>("bank_size", o.bank_size, int_in_range(2, 10000000));
  return o;
}

namespace {

// The minimiser of mean cross-entropy over (x, y) + weight_decay / 2 (|W|^2 + |b|^2), by L-BFGS
// from `start` (a strictly convex problem: one minimum, whatever the start). In float: a refit
// reads the window's features once or twice per evaluation, and float halves that (the bench's
// TRIM time fell from 1.7 to 0.9 s per window at 50 steps); the losses that decide are then
// taken in double.
window::LayerTensors refit(const torch::Tensor& x, const torch::Tensor& y,
                           const window::LayerTensors& start, const TrimOptions& o) {
  torch::AutoGradMode grad(true);
  const auto xf = x.to(torch::kFloat);
  auto w = start.weight.to(torch::kFloat).requires_grad_(true);
  auto b = start.bias.to(torch::kFloat).requires_grad_(true);
  torch::optim::LBFGS solver({w, b}, torch::optim::LBFGSOptions(1.0)
                                         .max_iter(o.steps)
                                         .tolerance_grad(1e-7)
                                         .tolerance_change(1e-12)
                                         .history_size(20)
                                         .line_search_fn("strong_wolfe"));
  solver.step([&] {
    solver.zero_grad();
    auto loss = torch::nn::functional::cross_entropy(torch::addmm(b, xf, w.t()), y) +
                0.5 * o.weight_decay * (w.square().sum() + b.square().sum());
    loss.backward();
    return loss;
  });
  return {w.detach().to(torch::kDouble), b.detach().to(torch::kDouble)};
}

std::vector<double> losses_under(const torch::Tensor& x, const torch::Tensor& y,
                                 const window::LayerTensors& layer) {
  torch::NoGradGuard no_grad;
  const auto t = window::cross_entropy_rows(x, y, layer.weight, layer.bias).contiguous();
  const double* p = t.data_ptr<double>();
  return std::vector<double>(p, p + t.numel());
}

torch::Tensor positions_tensor(const std::vector<uint8_t>& kept) {
  std::vector<int64_t> at;
  for (size_t i = 0; i < kept.size(); ++i)
    if (kept[i]) at.push_back(static_cast<int64_t>(i));
  return torch::tensor(at, torch::kLong);
}

}  // namespace

Trim::Trim(TrimOptions options)
    : TrustedBankSanitizer("sanitize/trim", options.bank_size), options_(options) {}

void Trim::sanitize(const SanitizeWindow& window, SanitizeOutcome& outcome) {
  outcome.score.assign(window.size, std::numeric_limits<float>::quiet_NaN());
  last_rounds_ = 0;
  const LastLayer last = context().last_layer();
  const auto classes =
      window::judged_classes(window, bank_, options_.min_class_samples, outcome, last.num_classes);
  if (classes.empty()) return;
  const auto deployed = window::layer_tensors(last, window.feature_dim);
  // The refits see every sample with a label the model has; only judged classes are trimmed
  // (the samples of the others stay in every refit).
  std::vector<size_t> fit_rows;
  std::vector<int64_t> fit_labels;
  std::vector<int64_t> position(window.size, -1);
  for (size_t i = 0; i < window.size; ++i) {
    if (window.labels[i] < 0 || window.labels[i] >= last.num_classes) continue;
    position[i] = static_cast<int64_t>(fit_rows.size());
    fit_rows.push_back(i);
    fit_labels.push_back(window.labels[i]);
  }
  const auto x = window::gather_rows(window.features, window.feature_dim, fit_rows);
  const auto y = window::label_tensor(fit_labels);
  std::vector<uint8_t> kept(fit_rows.size(), 1);
  auto layer = refit(x, y, deployed, options_);
  std::vector<double> losses;
  while (true) {
    losses = losses_under(x, y, layer);
    // Per judged class, the (1 - trim) share with the lowest losses (ties: the earlier sample).
    std::vector<uint8_t> next(fit_rows.size(), 1);
    for (const auto& c : classes) {
      std::vector<size_t> at;
      for (size_t row : c.rows) at.push_back(static_cast<size_t>(position[row]));
      std::stable_sort(at.begin(), at.end(),
                       [&losses](size_t a, size_t b) { return losses[a] < losses[b]; });
      const auto trimmed = static_cast<size_t>(options_.trim * static_cast<double>(at.size()));
      for (size_t j = at.size() - trimmed; j < at.size(); ++j) next[at[j]] = 0;
    }
    if (next == kept || last_rounds_ == options_.max_rounds) break;
    kept.swap(next);
    const auto subset = positions_tensor(kept);
    // From the previous refit: the same minimum (the problem is strictly convex), fewer steps.
    layer = refit(x.index_select(0, subset), y.index_select(0, subset), layer, options_);
    ++last_rounds_;
  }
  // `layer` is the refit on `kept` and `losses` are under it. A trimmed sample goes only when its
  // loss exceeds the class's quantile of trusted losses under the same refit.
  for (const auto& c : classes) {
    const auto tx = window::gather_rows(bank_.features(), bank_.dim(), c.trusted_rows);
    const auto ty = torch::full({static_cast<int64_t>(c.trusted_rows.size())}, c.label,
                                torch::kLong);
    const double threshold =
        conformal_threshold(losses_under(tx, ty, layer), options_.quantile);
    // Too few trusted losses for the quantile: the class is not judged (a recorded no-op).
    if (std::isinf(threshold)) outcome.unjudged += static_cast<int64_t>(c.rows.size());
    for (size_t row : c.rows) {
      const auto p = static_cast<size_t>(position[row]);
      outcome.score[row] = static_cast<float>(losses[p]);
      if (!kept[p] && losses[p] > threshold) outcome.remove[row] = 1;
    }
  }
}

// Like spectral signatures: the refits derive from the deployed layer and the window, and the
// thresholds from the trusted data, so a checkpoint holds only the section mark.
}  // namespace poisonsim
