#include "guards/window/sever.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <stdexcept>

#include "guards/per_sample/conformal_threshold.h"
#include "guards/per_sample/top_eigen.h"
#include "guards/window/class_rows.h"
#include "guards/window/last_layer.h"
#include "pipeline/scenario/config_node.h"
#include "sim/kernel/state_archive.h"

namespace poisonsim {

SeverOptions read_sever_options(ConfigNode& node) {
  SeverOptions o;
  o.quantile = node.get<double>("quantile", o.quantile, in_range(0.5, 1));
  o.max_removal = node.get<double>("max_removal", o.max_removal, in_range(0, 1));
  o.rounds = node.get<int64_t>("rounds", o.rounds, int_in_range(1, 100));
  o.min_class_samples =
      node.get<int64_t>("min_class_samples", o.min_class_samples, int_in_range(2, 1000000));
  o.bank_size = node.get<int64_t>("bank_size", o.bank_size, int_in_range(2, 10000000));
  return o;
}

namespace {

// The scores of the rows of x (rows x dim, double), all of class `label`.
torch::Tensor scores_of(const torch::Tensor& x, int64_t label, const window::LayerTensors& layer,
                        SeverSolver solver) {
  const int64_t n = x.size(0);
  // The gradient of the cross-entropy with respect to the logits: softmax - onehot.
  auto residual = torch::softmax(torch::addmm(layer.bias, x, layer.weight.t()), 1);
  residual.select(1, label).sub_(1.0);
  const auto inputs = torch::cat({x, torch::ones({n, 1}, x.options())}, 1);  // [h, 1]
  const int64_t coordinates = residual.size(1) * inputs.size(1);
  if (solver == SeverSolver::gram || (solver == SeverSolver::automatic && n <= coordinates)) {
    // g_i . g_j = (r_i . r_j)(a_i . a_j); centring the gradients is J K J with J = I - 11'/n.
    auto k = residual.matmul(residual.t()) * inputs.matmul(inputs.t());
    k = k - k.mean(0, /*keepdim=*/true) - k.mean(1, /*keepdim=*/true) + k.mean();
    const auto top = top_eigenpairs(k, 1);
    // The centred gradient matrix is U S V': g_i's projection on v is s u_i, squared s^2 u_i^2.
    return (top.vectors.select(1, 0).square() * std::max(top.values[0], 0.0)).contiguous();
  }
  const auto gradients = (residual.unsqueeze(2) * inputs.unsqueeze(1)).reshape({n, coordinates});
  const auto centred = gradients - gradients.mean(0, /*keepdim=*/true);
  const auto v = top_right_singular_vectors(centred, 1).select(1, 0);
  return centred.matmul(v).square().contiguous();
}

std::vector<double> to_vector(const torch::Tensor& t) {
  const double* p = t.data_ptr<double>();
  return std::vector<double>(p, p + t.numel());
}

}  // namespace

std::vector<double> sever_scores(const float* features, size_t rows, int64_t dim, int64_t label,
                                 const LastLayer& layer, SeverSolver solver) {
  if (label < 0 || label >= layer.num_classes)
    throw std::logic_error("sever_scores: a label the last layer does not have");
  std::vector<size_t> all(rows);
  std::iota(all.begin(), all.end(), size_t{0});
  return to_vector(scores_of(window::gather_rows(features, dim, all), label,
                             window::layer_tensors(layer, dim), solver));
}

Sever::Sever(SeverOptions options)
    : TrustedBankSanitizer("sanitize/sever", options.bank_size), options_(options) {}

void Sever::sanitize(const SanitizeWindow& window, SanitizeOutcome& outcome) {
  outcome.score.assign(window.size, std::numeric_limits<float>::quiet_NaN());
  const LastLayer last = context().last_layer();
  const auto classes =
      window::judged_classes(window, bank_, options_.min_class_samples, outcome, last.num_classes);
  if (classes.empty()) return;
  const auto layer = window::layer_tensors(last, window.feature_dim);
  const auto min_rows = static_cast<size_t>(options_.min_class_samples);
  for (const auto& c : classes) {
    // The cap counts over all rounds, against the class's size in the window.
    const auto cap = static_cast<size_t>(options_.max_removal * static_cast<double>(c.rows.size()));
    std::vector<size_t> kept = c.rows;  // window rows still in the class
    size_t removed = 0;
    for (int64_t round = 0; round < options_.rounds && kept.size() >= min_rows; ++round) {
      const auto scores =
          to_vector(scores_of(window::gather_rows(window.features, window.feature_dim, kept),
                              c.label, layer, SeverSolver::automatic));
      // The same procedure on as many of the class's first trusted samples (a clean window).
      std::vector<size_t> calibration = c.trusted_rows;
      calibration.resize(std::min(calibration.size(), kept.size()));
      const double threshold = conformal_threshold(
          to_vector(scores_of(window::gather_rows(bank_.features(), bank_.dim(), calibration),
                              c.label, layer, SeverSolver::automatic)),
          options_.quantile);
      // A sample's score is the one of the last round that judged it.
      for (size_t i = 0; i < kept.size(); ++i) outcome.score[kept[i]] = static_cast<float>(scores[i]);
      // Too few calibration scores for the quantile: the class is not judged (a recorded no-op).
      if (std::isinf(threshold)) {
        if (round == 0) outcome.unjudged += static_cast<int64_t>(kept.size());
        break;
      }
      std::vector<size_t> above;
      for (size_t i = 0; i < kept.size(); ++i)
        if (scores[i] > threshold) above.push_back(i);
      // The cap keeps the highest scores (ties: the earlier sample first).
      std::stable_sort(above.begin(), above.end(),
                       [&scores](size_t a, size_t b) { return scores[a] > scores[b]; });
      above.resize(std::min(above.size(), cap - removed));
      if (above.empty()) break;
      std::vector<uint8_t> drop(kept.size());
      for (size_t i : above) {
        drop[i] = 1;
        outcome.remove[kept[i]] = 1;
      }
      removed += above.size();
      std::vector<size_t> next;
      for (size_t i = 0; i < kept.size(); ++i)
        if (!drop[i]) next.push_back(kept[i]);
      kept.swap(next);
    }
  }
}

// Like spectral signatures: the thresholds derive from the trusted data and the deployed model
// (restored before this), so a checkpoint holds only the section mark.
}  // namespace poisonsim
