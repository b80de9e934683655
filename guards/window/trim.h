#pragma once
// TRIM (Jagielski, Oprea, Biggio, Liu, Nita-Rotaru and Li, "Manipulating Machine Learning:
// Poisoning Attacks and Countermeasures for Regression Learning", IEEE S&P 2018), adapted to a
// network as its last layer: on the retraining window's features (the deployed model's), refit a
// softmax-regression last layer (the first refit from the deployed layer, each next one from the
// previous; full-batch L-BFGS in float, at most `steps` iterations, L2 `weight_decay` on weights
// and biases), compute each sample's loss under
// the refit, keep per class the (1 - `trim`) share with the lowest loss (a quantile of the
// class's losses, not an absolute threshold), refit on what is kept, and repeat until the kept
// set stops changing or after `max_rounds` refits on trimmed sets.
// TRIM removes its fixed share of every class, clean or not. Here a trimmed sample is removed
// only when its loss under the last refit also exceeds the class's conformal `quantile` of the
// trusted samples' losses under the same refit (the first `bank_size` of the pretraining split,
// featurised by the deployed model; guards/per_sample/conformal_threshold.h): neither is in the refit's data,
// so a clean class loses at most 1 - quantile of its samples in expectation, at most `trim`.
#include <cstdint>

#include "guards/window/trusted_bank_sanitizer.h"

namespace poisonsim {

class ConfigNode;

struct TrimOptions {
  double trim = 0.2;               // share of each class left out of the next refit
  double quantile = 0.99;          // of the trusted losses per class: the removal threshold
  int64_t max_rounds = 10;         // refits on trimmed sets, at most
  int64_t steps = 20;              // L-BFGS iterations per refit, at most
  double weight_decay = 1e-3;      // L2 penalty (lambda/2 |theta|^2) on the mean cross-entropy
  int64_t min_class_samples = 20;  // fewer window (or trusted) samples: the class is not judged
  int64_t bank_size = 5000;        // trusted samples the thresholds come from
};

// The `trim` stage's keys, range-checked.
TrimOptions read_trim_options(ConfigNode& node);

class Trim : public TrustedBankSanitizer {
 public:
  explicit Trim(TrimOptions options);
  void sanitize(const SanitizeWindow& window, SanitizeOutcome& outcome) override;
  // Refits on trimmed sets in the last sanitize() (0 when nothing was judged).
  int64_t last_rounds() const { return last_rounds_; }

 private:
  TrimOptions options_;
  int64_t last_rounds_ = 0;
};

}  // namespace poisonsim
