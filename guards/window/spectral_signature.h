#pragma once
// Spectral signatures (Tran, Li and Madry, "Spectral Signatures in Backdoor Attacks", NeurIPS
// 2018), per class of the retraining window, on the deployed model's features:
//   centre the class's window features on their mean, take the top right singular vector v of
//   the centred matrix, score each sample by its squared projection on v.
// Tran et al. remove the top 1.5 eps of every class; that discards clean data from every clean
// class (ART's default removes ~half of each). Here a sample is removed only when its score
// exceeds the class's `quantile` of the scores the same procedure gives on a clean window of the
// same size: the class's first trusted samples (the pretraining split's first `bank_size`,
// featurised by the deployed model), centred on their own mean and projected on their own top
// singular vector. Calibrating on the trusted samples' own direction matters: a window's top
// direction is fitted to it, so its scores along it run higher than other samples' (the top
// eigenvalue of a sample covariance is biased upwards, the more so the more features per
// sample), and a threshold from trusted samples projected on the window's direction removes more
// than 1 - quantile of a clean class (7.2% instead of 5% in the clean-window test, 8 features).
// The threshold is the conformal quantile of those scores (guards/per_sample/conformal_threshold.h). At most
// `max_removal` of a class is removed, highest scores first. On a clean window each class loses
// at most about 1 - quantile (less when the trusted class has fewer samples than the
// window's: a smaller calibration window scores higher).
#include <cstdint>

#include "guards/window/trusted_bank_sanitizer.h"

namespace poisonsim {

class ConfigNode;

struct SpectralSignatureOptions {
  double quantile = 0.99;          // of the trusted scores per class: the removal threshold
  double max_removal = 0.5;        // at most this share of a class is removed per window
  int64_t min_class_samples = 20;  // fewer window (or trusted) samples: the class is not judged
  int64_t bank_size = 5000;        // trusted samples the thresholds come from
};

// The `spectral` stage's keys, range-checked.
SpectralSignatureOptions read_spectral_signature_options(ConfigNode& node);

class SpectralSignature : public TrustedBankSanitizer {
 public:
  explicit SpectralSignature(SpectralSignatureOptions options);
  void sanitize(const SanitizeWindow& window, SanitizeOutcome& outcome) override;

 private:
  SpectralSignatureOptions options_;
};

}  // namespace poisonsim
