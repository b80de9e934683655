#include "pipeline/trace/confidence_interval.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>

#include <fmt/format.h>
#include <boost/math/distributions/students_t.hpp>

namespace poisonsim {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

double logit(double p) { return std::log(p / (1 - p)); }
double expit(double x) { return 1 / (1 + std::exp(-x)); }

}  // namespace

const char* quantity_kind_name(QuantityKind kind) {
  switch (kind) {
    case QuantityKind::proportion:
      return "proportion";
    case QuantityKind::count:
      return "count";
    case QuantityKind::unbounded:
      return "unbounded";
  }
  return "unbounded";
}

double student_t_quantile(double probability, double degrees_of_freedom) {
  if (!(probability > 0 && probability < 1) || !(degrees_of_freedom > 0))
    throw std::invalid_argument(
        fmt::format("student_t_quantile({}, {}): expected 0 < p < 1 and "
                    "degrees of freedom > 0",
                    probability, degrees_of_freedom));
  return boost::math::quantile(boost::math::students_t_distribution<double>(degrees_of_freedom),
                               probability);
}

Bounds mean_bounds(double mean, double sd, int64_t n, QuantityKind kind, double confidence) {
  if (n < 2 || std::isnan(mean) || std::isnan(sd)) return {kNaN, kNaN};
  if (sd == 0) return {mean, mean};  // exactly, not a round trip through logit and expit
  const double t = student_t_quantile((1 + confidence) / 2, static_cast<double>(n - 1));
  const double se = sd / std::sqrt(static_cast<double>(n));
  const Bounds plain{mean - t * se, mean + t * se};
  switch (kind) {
    case QuantityKind::unbounded:
      return plain;
    case QuantityKind::proportion:
      if (mean > 0 && mean < 1) {
        const double w = t * se / (mean * (1 - mean));
        return {expit(logit(mean) - w), expit(logit(mean) + w)};
      }
      return {std::clamp(plain.low, 0.0, 1.0), std::clamp(plain.high, 0.0, 1.0)};
    case QuantityKind::count:
      return {std::max(plain.low, 0.0), std::max(plain.high, 0.0)};
  }
  return plain;
}

MeanInterval mean_interval(const std::vector<double>& values, QuantityKind kind,
                           double confidence) {
  MeanInterval out;
  double sum = 0;
  for (double value : values) {
    if (std::isnan(value)) continue;
    out.n += 1;
    sum += value;
  }
  out.sd = out.t = out.half_width = out.low = out.high = kNaN;
  if (out.n == 0) {
    out.mean = kNaN;
    return out;
  }
  const auto n = static_cast<double>(out.n);
  out.mean = sum / n;
  if (out.n < 2) return out;
  double squares = 0;  // two passes: no cancellation when the values are large and close
  for (double value : values)
    if (!std::isnan(value)) squares += (value - out.mean) * (value - out.mean);
  out.sd = std::sqrt(squares / (n - 1));
  out.t = student_t_quantile((1 + confidence) / 2, n - 1);
  out.half_width = out.t * out.sd / std::sqrt(n);
  const Bounds bounds = mean_bounds(out.mean, out.sd, out.n, kind, confidence);
  out.low = bounds.low;
  out.high = bounds.high;
  return out;
}

}  // namespace poisonsim
