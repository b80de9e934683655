#pragma once
// The mean of a few replicate values (runs that differ only in their seed) with its 95%
// confidence interval: what a sweep's aggregate table holds per cell and metric. The interval
// respects what the quantity can be (QuantityKind): a proportion's stays inside [0, 1], a
// count's at or above 0. python/poisonsim/intervals.py computes the same numbers (a test compares).
#include <cstdint>
#include <string>
#include <vector>

namespace poisonsim {

// What values a metric can take, which decides the scale its interval is built on.
enum class QuantityKind {
  proportion,  // in [0, 1]: accuracies, rates, fractions. Interval on the logit scale.
  count,       // >= 0: samples, retrains. The t interval, its lower bound raised to 0.
  unbounded,   // any real, e.g. a difference of accuracies. The plain Student t interval.
};

// "proportion", "count", "unbounded": the aggregate table's `kind` column.
const char* quantity_kind_name(QuantityKind kind);

// The `probability` quantile of Student's t distribution with `degrees_of_freedom` (> 0), e.g.
// student_t_quantile(0.975, 1) = 12.706. std::invalid_argument outside 0 < p < 1 or df <= 0.
double student_t_quantile(double probability, double degrees_of_freedom);

struct Bounds {
  double low = 0;
  double high = 0;
};

// The two-sided interval of a mean of `n` (>= 2) values with sample sd `sd`, on the scale that
// `kind` calls for, with t the Student t quantile for n - 1 degrees of freedom:
// - unbounded: mean -+ t * se, se = sd / sqrt(n).
// - proportion: expit(logit(mean) -+ t * se / (mean (1 - mean))): the t interval of logit(mean),
//   its standard error by the delta method, mapped back (the "logit" interval of R's
//   survey::svyciprop). A clamped t interval keeps a width that only a symmetric sampling
//   distribution has, and a mean near 0 or 1 has a skewed one; Wilson's interval needs one
//   binomial count, but here the replicate is the seed, each run's rate over correlated
//   samples; a bootstrap over 3-5 seeds covers too little. This interval stays inside (0, 1),
//   always holds the mean, leans toward 1/2 and tends to the t interval away from the bounds.
//   It depends only on mean, sd and n, so a reader of the aggregate table can recompute it.
// - count: max(0, mean - t se), mean + t se. A count has no upper bound to respect, and the
//   part of the t interval below 0 holds no possible value, so raising it to 0 loses no
//   coverage. Not the log scale: with few seeds and a spread near the mean (clean_rejected 117,
//   sd 96, 2 seeds) it put the upper bound at 188,523, far past any possible count.
// Values all equal (sd 0; also a mean on a bound: every value 0, or 1) give [mean, mean];
// values outside the kind's range (not a proportion, a negative count) get the t interval
// clamped to the range. NaN bounds for n < 2.
Bounds mean_bounds(double mean, double sd, int64_t n, QuantityKind kind, double confidence = 0.95);

struct MeanInterval {
  int64_t n = 0;          // values the mean is over
  double mean = 0;        // NaN when n = 0
  double sd = 0;          // sample standard deviation (divisor n - 1); NaN when n < 2
  double t = 0;           // t quantile at (1 + confidence) / 2 with n - 1 degrees of freedom
  double half_width = 0;  // t * sd / sqrt(n): the plain Student t half-width (unbounded scale)
  double low = 0;         // the interval's bounds, on the scale of its kind (mean_bounds)
  double high = 0;
};

// Mean, sd and the two-sided `confidence` interval of the mean of `values` (NaN values are
// skipped: a rate that is undefined in a run). With one value there is no interval: sd, t,
// half_width, low and high are NaN. The mean is the plain arithmetic mean whatever the kind.
MeanInterval mean_interval(const std::vector<double>& values, QuantityKind kind,
                           double confidence = 0.95);

}  // namespace poisonsim
