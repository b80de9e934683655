#pragma once
// The exponent of a power law y = c * x^p fitted by least squares on log-log axes: how wall
// time grows with the volume of a run (`poisonsim bench growth`).
#include <vector>

namespace poisonsim::bench {

struct PowerLawFit {
  double exponent = 0;     // p
  double coefficient = 0;  // c
  double r_squared = 0;    // of the straight line in log-log (1 when there are two points)
};

// Fits log y = log c + p log x over the pairs. Throws std::invalid_argument when the lengths
// differ, a value is not a positive finite number, or fewer than two distinct x are given.
PowerLawFit fit_power_law(const std::vector<double>& x, const std::vector<double>& y);

// The slope of the least-squares line y = a + b x (same conditions, except that values may be
// zero or negative): e.g. bytes of peak memory per retained sample.
double fit_slope(const std::vector<double>& x, const std::vector<double>& y);

}  // namespace poisonsim::bench
