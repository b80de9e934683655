// The exponent fit of `poisonsim bench growth` (tools/bench/power_law.h) on exact power laws.
#include "tools/bench/power_law.h"

#include <cmath>
#include <stdexcept>
#include <vector>

#include <gtest/gtest.h>

namespace poisonsim::bench {
namespace {

std::vector<double> power_law(const std::vector<double>& x, double c, double p) {
  std::vector<double> y;
  for (const double v : x) y.push_back(c * std::pow(v, p));
  return y;
}

TEST(PowerLawFit, RecoversTheExponentAndCoefficientOfExactPowerLaws) {
  const std::vector<double> x = {1, 4, 16};
  for (const double p : {0.0, 0.5, 1.0, 1.05, 2.0, -1.0}) {
    for (const double c : {0.01, 3.0, 1e6}) {
      const auto fit = fit_power_law(x, power_law(x, c, p));
      EXPECT_NEAR(fit.exponent, p, 1e-12) << "c " << c << " p " << p;
      EXPECT_NEAR(fit.coefficient / c, 1.0, 1e-12) << "c " << c << " p " << p;
      EXPECT_NEAR(fit.r_squared, 1.0, 1e-12);
    }
  }
  // Unevenly spaced, unordered volumes, as measured sample counts are.
  const std::vector<double> measured = {38411, 9622, 153720, 2401};
  EXPECT_NEAR(fit_power_law(measured, power_law(measured, 2e-4, 0.93)).exponent, 0.93, 1e-12);
}

TEST(PowerLawFit, IsTheLeastSquaresLineOnLogLogAxes) {
  // log y = 0, 1, 3 at log x = 0, 1, 2: slope 1.5, intercept -1/6, r^2 = 27/28.
  const std::vector<double> x = {1, std::exp(1.0), std::exp(2.0)};
  const std::vector<double> y = {1, std::exp(1.0), std::exp(3.0)};
  const auto fit = fit_power_law(x, y);
  EXPECT_NEAR(fit.exponent, 1.5, 1e-12);
  EXPECT_NEAR(fit.coefficient, std::exp(-1.0 / 6.0), 1e-12);
  EXPECT_NEAR(fit.r_squared, 27.0 / 28.0, 1e-12);
}

TEST(PowerLawFit, RefusesWhatCannotBeFitted) {
  EXPECT_THROW(fit_power_law({1, 2}, {1}), std::invalid_argument);
  EXPECT_THROW(fit_power_law({4}, {1}), std::invalid_argument);
  EXPECT_THROW(fit_power_law({4, 4}, {1, 2}), std::invalid_argument);
  EXPECT_THROW(fit_power_law({0, 4}, {1, 2}), std::invalid_argument);
  EXPECT_THROW(fit_power_law({1, 4}, {1, -2}), std::invalid_argument);
  EXPECT_THROW(fit_power_law({1, INFINITY}, {1, 2}), std::invalid_argument);
  EXPECT_THROW(fit_power_law({1, 2}, {1, NAN}), std::invalid_argument);
}

TEST(LinearSlope, IsExactOnALineAndAllowsNegativeValues) {
  EXPECT_NEAR(fit_slope({1000, 4000, 16000},
                        {2e8 + 3145 * 1000.0, 2e8 + 3145 * 4000.0, 2e8 + 3145 * 16000.0}),
              3145, 1e-6);
  EXPECT_NEAR(fit_slope({-1, 0, 1}, {3, 1, -1}), -2, 1e-12);
  EXPECT_THROW(fit_slope({5, 5}, {1, 2}), std::invalid_argument);
}

}  // namespace
}  // namespace poisonsim::bench
