#include "pipeline/trace/confidence_interval.h"

#include <cmath>
#include <limits>
#include <stdexcept>

#include <fmt/format.h>
#include <boost/math/distributions/students_t.hpp>

namespace poisonsim {

double student_t_quantile(double probability, double degrees_of_freedom) {
  if (!(probability > 0 && probability < 1) || !(degrees_of_freedom > 0))
    throw std::invalid_argument(
        fmt::format("student_t_quantile({}, {}): expected 0 < p < 1 and "
                    "degrees of freedom > 0",
                    probability, degrees_of_freedom));
  return boost::math::quantile(boost::math::students_t_distribution<double>(degrees_of_freedom),
                               probability);
}

MeanInterval mean_interval(const std::vector<double>& values, double confidence) {
  constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
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
  out.low = out.mean - out.half_width;
  out.high = out.mean + out.half_width;
  return out;
}

}  // namespace poisonsim
