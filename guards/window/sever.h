#pragma once
// Sever (Diakonikolas, Kamath, Kane, Li, Steinhardt and Stewart, "Sever: A Robust Meta-Algorithm
// for Stochastic Optimization", ICML 2019), per class of the retraining window, on the gradients
// of the cross-entropy with respect to the deployed model's last layer (weights and bias):
//   g_i = (softmax(W h_i + b) - onehot(y_i)) (x) [h_i, 1]
// for the deployed model's features h_i; centre the class's gradients on their mean, take the top
// right singular vector v of the centred matrix, score each sample by its squared projection on
// v. Label flips and other samples that pull the layer one way together share a direction that
// clean samples do not take. As spectral signatures (spectral_signature.h), a sample is removed
// only when its score exceeds the class's conformal `quantile` of the scores the same procedure
// gives on as many of the class's trusted samples (their own centring and direction), highest
// first and at most `max_removal` of the class; Sever's fixed removal fraction would discard
// clean data from every clean class. `rounds` repeats the scoring on what the class kept (Sever's
// loop, with the deployed layer fixed instead of refitted), so a clean class can lose up to about
// rounds x (1 - quantile).
#include <cstdint>
#include <vector>

#include "guards/window/trusted_bank_sanitizer.h"

namespace poisonsim {

class ConfigNode;

struct SeverOptions {
  double quantile = 0.99;          // of the trusted scores per class: the removal threshold
  double max_removal = 0.5;        // at most this share of a class is removed per window
  int64_t rounds = 1;              // scorings per class, each on what the previous ones kept
  int64_t min_class_samples = 20;  // fewer window (or trusted) samples: the class is not judged
  int64_t bank_size = 5000;        // trusted samples the thresholds come from
};

// The `sever` stage's keys, range-checked.
SeverOptions read_sever_options(ConfigNode& node);

// How the top singular direction is found: the same scores either way (up to rounding). The
// gradients' Gram matrix (rows x rows, from the features' and residuals' Gram matrices without
// writing the gradients down) for a class with fewer samples than gradient coordinates, else
// their covariance (coordinates x coordinates); both by LibTorch's symmetric eigensolver.
enum class SeverSolver { automatic, gram, covariance };

// Sever's scores of `rows` samples of class `label` (features row-major, rows x dim) under
// `layer`, in double.
std::vector<double> sever_scores(const float* features, size_t rows, int64_t dim, int64_t label,
                                 const LastLayer& layer,
                                 SeverSolver solver = SeverSolver::automatic);

class Sever : public TrustedBankSanitizer {
 public:
  explicit Sever(SeverOptions options);
  void sanitize(const SanitizeWindow& window, SanitizeOutcome& outcome) override;

 private:
  SeverOptions options_;
};

}  // namespace poisonsim
