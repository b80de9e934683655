#pragma once
// The mean of a few replicate values (runs that differ only in their seed) with its Student t
// confidence interval: what a sweep's aggregate table holds per cell and metric.
#include <cstdint>
#include <vector>

namespace poisonsim {

// The `probability` quantile of Student's t distribution with `degrees_of_freedom` (> 0), e.g.
// student_t_quantile(0.975, 1) = 12.706. std::invalid_argument outside 0 < p < 1 or df <= 0.
double student_t_quantile(double probability, double degrees_of_freedom);

struct MeanInterval {
  int64_t n = 0;          // values the mean is over
  double mean = 0;        // NaN when n = 0
  double sd = 0;          // sample standard deviation (divisor n - 1); NaN when n < 2
  double t = 0;           // t quantile at (1 + confidence) / 2 with n - 1 degrees of freedom
  double half_width = 0;  // t * sd / sqrt(n): the interval is mean +- half_width
  double low = 0;         // mean - half_width
  double high = 0;        // mean + half_width
};

// Mean, sd and the two-sided `confidence` interval of the mean of `values` (NaN values are
// skipped: a rate that is undefined in a run). With one value there is no interval: sd, t,
// half_width, low and high are NaN.
MeanInterval mean_interval(const std::vector<double>& values, double confidence = 0.95);

}  // namespace poisonsim
