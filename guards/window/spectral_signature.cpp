#include "guards/window/spectral_signature.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

#include "guards/per_sample/conformal_threshold.h"
#include "guards/per_sample/top_eigen.h"
#include "guards/window/class_rows.h"
#include "pipeline/scenario/config_node.h"
#include "sim/kernel/state_archive.h"

namespace poisonsim {

SpectralSignatureOptions read_spectral_signature_options(ConfigNode& node) {
  SpectralSignatureOptions o;
  o.quantile = node.get<double>("quantile", o.quantile, in_range(0.5, 1));
  o.max_removal = node.get<double>("max_removal", o.max_removal, in_range(0, 1));
  o.min_class_samples =
      node.get<int64_t>("min_class_samples", o.min_class_samples, int_in_range(2, 1000000));
  o.bank_size = node.get<int64_t>("bank_size", o.bank_size, int_in_range(2, 10000000));
  return o;
}

namespace {

// Tran et al.'s score of each row of x (rows x dim): its squared projection, after centring on
// the rows' mean, on the top right singular vector of the centred matrix.
torch::Tensor self_scores(const torch::Tensor& x) {
  const auto centred = x - x.mean(0, /*keepdim=*/true);
  const auto v = top_right_singular_vectors(centred, 1).select(1, 0);
  return centred.matmul(v).square().contiguous();
}

}  // namespace

SpectralSignature::SpectralSignature(SpectralSignatureOptions options)
    : TrustedBankSanitizer("sanitize/spectral", options.bank_size), options_(options) {}

void SpectralSignature::sanitize(const SanitizeWindow& window, SanitizeOutcome& outcome) {
  outcome.score.assign(window.size, std::numeric_limits<float>::quiet_NaN());
  window::for_each_judged_class(
      window, bank_, options_.min_class_samples, outcome,
      [&](const std::vector<size_t>& rows, const std::vector<size_t>& trusted_rows) {
        const auto scores =
            self_scores(window::gather_rows(window.features, window.feature_dim, rows));
        // The same procedure on a clean window of the same size: the class's first trusted samples.
        // (A window's top direction is fitted to that window, so its own scores run higher than
        // other samples' along it; calibrating on the trusted samples' own scores cancels that.)
        std::vector<size_t> calibration = trusted_rows;
        calibration.resize(std::min(calibration.size(), rows.size()));
        const auto trusted_scores =
            self_scores(window::gather_rows(bank_.features(), bank_.dim(), calibration));
        const double* ts = trusted_scores.data_ptr<double>();
        const double threshold = conformal_threshold(
            std::vector<double>(ts, ts + trusted_scores.numel()), options_.quantile);
        const double* s = scores.data_ptr<double>();
        for (size_t i = 0; i < rows.size(); ++i) outcome.score[rows[i]] = static_cast<float>(s[i]);
        // Too few calibration scores for the quantile: the class is not judged (a recorded no-op).
        if (std::isinf(threshold)) {
          outcome.unjudged += static_cast<int64_t>(rows.size());
          return;
        }
        std::vector<size_t> above;
        for (size_t i = 0; i < rows.size(); ++i)
          if (s[i] > threshold) above.push_back(i);
        // The cap keeps the highest scores (ties: the earlier sample first).
        std::stable_sort(above.begin(), above.end(),
                         [s](size_t a, size_t b) { return s[a] > s[b]; });
        const auto cap =
            static_cast<size_t>(options_.max_removal * static_cast<double>(rows.size()));
        above.resize(std::min(above.size(), cap));
        for (size_t i : above) outcome.remove[rows[i]] = 1;
      });
}

// The thresholds derive from the trusted data and the deployed model (restored before this), so
// a checkpoint holds only the section mark; a resumed run recomputes the features.
}  // namespace poisonsim
