#include "tools/bench/power_law.h"

#include <cmath>
#include <stdexcept>

namespace poisonsim::bench {
namespace {

struct Line {
  double intercept = 0;
  double slope = 0;
  double r_squared = 0;
};

Line least_squares(const std::vector<double>& x, const std::vector<double>& y) {
  if (x.size() != y.size()) throw std::invalid_argument("fit: x and y differ in length");
  const auto n = static_cast<double>(x.size());
  double mean_x = 0;
  double mean_y = 0;
  for (size_t i = 0; i < x.size(); ++i) {
    if (!std::isfinite(x[i]) || !std::isfinite(y[i]))
      throw std::invalid_argument("fit: values must be finite");
    mean_x += x[i] / n;
    mean_y += y[i] / n;
  }
  double sxx = 0;
  double sxy = 0;
  double syy = 0;
  for (size_t i = 0; i < x.size(); ++i) {
    sxx += (x[i] - mean_x) * (x[i] - mean_x);
    sxy += (x[i] - mean_x) * (y[i] - mean_y);
    syy += (y[i] - mean_y) * (y[i] - mean_y);
  }
  if (x.size() < 2 || !(sxx > 0)) throw std::invalid_argument("fit: needs two distinct x values");
  Line line;
  line.slope = sxy / sxx;
  line.intercept = mean_y - line.slope * mean_x;
  line.r_squared = syy > 0 ? sxy * sxy / (sxx * syy) : 1.0;
  return line;
}

}  // namespace

PowerLawFit fit_power_law(const std::vector<double>& x, const std::vector<double>& y) {
  if (x.size() != y.size()) throw std::invalid_argument("fit: x and y differ in length");
  std::vector<double> log_x;
  std::vector<double> log_y;
  for (size_t i = 0; i < x.size(); ++i) {
    if (!(x[i] > 0) || !(y[i] > 0))
      throw std::invalid_argument("power-law fit: values must be positive");
    log_x.push_back(std::log(x[i]));
    log_y.push_back(std::log(y[i]));
  }
  const Line line = least_squares(log_x, log_y);
  return {line.slope, std::exp(line.intercept), line.r_squared};
}

double fit_slope(const std::vector<double>& x, const std::vector<double>& y) {
  return least_squares(x, y).slope;
}

}  // namespace poisonsim::bench
