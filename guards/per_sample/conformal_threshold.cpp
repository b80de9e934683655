#include "guards/per_sample/conformal_threshold.h"

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <limits>
#include <stdexcept>

namespace poisonsim {

double conformal_threshold(std::vector<double> scores, double quantile) {
  if (scores.empty()) throw std::logic_error("conformal_threshold of no scores");
  const double n = static_cast<double>(scores.size());
  // The tolerance keeps an exact product (0.95 x 20 = 19.000000000000004 in double) at its rank.
  const auto rank = static_cast<size_t>(std::max(1.0, std::ceil(quantile * (n + 1) - 1e-9)));
  if (rank > scores.size()) return std::numeric_limits<double>::infinity();
  const auto at = scores.begin() + static_cast<std::ptrdiff_t>(rank - 1);
  std::nth_element(scores.begin(), at, scores.end());
  return *at;
}

size_t conformal_scores_needed(double quantile) {
  if (quantile >= 1) return std::numeric_limits<size_t>::max();
  return static_cast<size_t>(std::max(1.0, std::ceil(quantile / (1 - quantile) - 1e-9)));
}

}  // namespace poisonsim
