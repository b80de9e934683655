// Means over seeds: Student t quantiles, the mean and its interval (bounded by the metric's kind),
// and the aggregate table a sweep file holds per cell and metric.
#include <cmath>
#include <stdexcept>
#include <string>

#include <gtest/gtest.h>

#include "pipeline/trace/confidence_interval.h"
#include "pipeline/trace/run_metrics.h"
#include "pipeline/trace/sweep_aggregate.h"
#include "tests/sweep_test_support.h"
#include "tests/test_support.h"

namespace poisonsim {
namespace {

using Kind = SummaryColumn::Kind;

TEST(StudentT, QuantilesMatchPublishedTables) {
  // Two-sided 95% critical values (p = 0.975) and a few others, to the tables' 3-6 digits.
  EXPECT_NEAR(student_t_quantile(0.975, 1), 12.7062, 1e-4);
  EXPECT_NEAR(student_t_quantile(0.975, 2), 4.30265, 1e-5);
  EXPECT_NEAR(student_t_quantile(0.975, 4), 2.77645, 1e-5);
  EXPECT_NEAR(student_t_quantile(0.975, 9), 2.26216, 1e-5);
  EXPECT_NEAR(student_t_quantile(0.975, 30), 2.04227, 1e-5);
  EXPECT_NEAR(student_t_quantile(0.95, 5), 2.01505, 1e-5);
  EXPECT_NEAR(student_t_quantile(0.995, 3), 5.84091, 1e-5);
  EXPECT_NEAR(student_t_quantile(0.5, 7), 0.0, 1e-12);
  EXPECT_NEAR(student_t_quantile(0.025, 1), -12.7062, 1e-4);    // symmetric
  EXPECT_NEAR(student_t_quantile(0.975, 1e7), 1.959964, 1e-5);  // tends to the normal's
  EXPECT_THROW(student_t_quantile(1.0, 3), std::invalid_argument);
  EXPECT_THROW(student_t_quantile(0.0, 3), std::invalid_argument);
  EXPECT_THROW(student_t_quantile(0.9, 0), std::invalid_argument);
  EXPECT_THROW(student_t_quantile(NAN, 3), std::invalid_argument);
}

TEST(MeanInterval, MeanSdAndStudentTInterval) {
  const auto two = mean_interval({0.80, 0.84}, QuantityKind::unbounded);
  EXPECT_EQ(two.n, 2);
  EXPECT_NEAR(two.mean, 0.82, 1e-15);
  EXPECT_NEAR(two.sd, 0.04 / std::sqrt(2.0), 1e-15);
  EXPECT_NEAR(two.t, 12.7062, 1e-4);
  EXPECT_NEAR(two.half_width, 12.7062047 * 0.02, 1e-8);  // t * sd / sqrt(2) = t * |a - b| / 2
  EXPECT_NEAR(two.low, 0.82 - two.half_width, 1e-15);
  EXPECT_NEAR(two.high, 0.82 + two.half_width, 1e-15);

  const auto four = mean_interval({1, 2, 3, 4, NAN},
                                  QuantityKind::unbounded);  // NaN: a rate undefined in that run
  EXPECT_EQ(four.n, 4);
  EXPECT_DOUBLE_EQ(four.mean, 2.5);
  EXPECT_NEAR(four.sd, std::sqrt(5.0 / 3), 1e-14);
  EXPECT_NEAR(four.half_width, 3.182446 * std::sqrt(5.0 / 3) / 2, 1e-5);

  const auto one = mean_interval({0.7}, QuantityKind::proportion);  // no interval from one value
  EXPECT_EQ(one.n, 1);
  EXPECT_EQ(one.mean, 0.7);
  EXPECT_TRUE(std::isnan(one.sd) && std::isnan(one.half_width) && std::isnan(one.low));
  const auto none = mean_interval({NAN}, QuantityKind::count);
  EXPECT_EQ(none.n, 0);
  EXPECT_TRUE(std::isnan(none.mean));
  const auto same = mean_interval({5, 5, 5}, QuantityKind::count);
  EXPECT_EQ(same.sd, 0);
  EXPECT_EQ(same.half_width, 0);
}

double logit(double p) { return std::log(p / (1 - p)); }
double expit(double x) { return 1 / (1 + std::exp(-x)); }

// The rate: 0.8510 +- 0.1729 by Student t ran to 1.0239.
TEST(MeanInterval, ProportionsStayInsideZeroOneAroundTheSameMean) {
  const std::vector<double> rates{1.0, 1.0, 0.99, 0.98, 0.40, 1.0, 0.95, 0.72, 1.0, 0.47};
  const auto plain = mean_interval(rates, QuantityKind::unbounded);
  const auto rate = mean_interval(rates, QuantityKind::proportion);
  ASSERT_GT(plain.high, 1.0);  // what the t interval did
  EXPECT_DOUBLE_EQ(rate.mean, plain.mean);
  EXPECT_DOUBLE_EQ(rate.sd, plain.sd);
  EXPECT_DOUBLE_EQ(rate.half_width, plain.half_width);  // the t half-width, kept as such
  EXPECT_GT(rate.low, 0.0);
  EXPECT_LT(rate.high, 1.0);
  EXPECT_LT(rate.low, rate.mean);
  EXPECT_GT(rate.high, rate.mean);
  // By hand: the t interval of logit(mean), its se by the delta method, mapped back.
  const double se = plain.sd / std::sqrt(10.0), m = plain.mean;
  const double w = student_t_quantile(0.975, 9) * se / (m * (1 - m));
  EXPECT_NEAR(rate.low, expit(logit(m) - w), 1e-12);
  EXPECT_NEAR(rate.high, expit(logit(m) + w), 1e-12);
  // Away from the bounds it is close to the t interval.
  const auto middle = mean_interval({0.48, 0.50, 0.52, 0.51}, QuantityKind::proportion);
  const auto middle_t = mean_interval({0.48, 0.50, 0.52, 0.51}, QuantityKind::unbounded);
  EXPECT_NEAR(middle.low, middle_t.low, 0.002);
  EXPECT_NEAR(middle.high, middle_t.high, 0.002);
  // On a bound every value is on it: the interval is the point.
  const auto ones = mean_interval({1, 1, 1}, QuantityKind::proportion);
  EXPECT_EQ(ones.low, 1.0);
  EXPECT_EQ(ones.high, 1.0);
  const auto zeros = mean_interval({0, 0}, QuantityKind::proportion);
  EXPECT_EQ(zeros.low, 0.0);
  EXPECT_EQ(zeros.high, 0.0);
}

// The counts: 309.3 +- 485.7 ran to -176.4, 1.3 +- 1.4 to -0.1.
TEST(MeanInterval, CountsNeverGoBelowZero) {
  const std::vector<double> poison{0, 0, 928};
  const auto plain = mean_interval(poison, QuantityKind::unbounded);
  const auto count = mean_interval(poison, QuantityKind::count);
  ASSERT_LT(plain.low, 0.0);
  EXPECT_DOUBLE_EQ(count.mean, plain.mean);
  EXPECT_EQ(count.low, 0.0);          // the impossible part cut off
  EXPECT_EQ(count.high, plain.high);  // no upper bound to respect
  const auto deployed = mean_interval({0, 1, 3, 1, 2, 0, 3, 1, 0, 2}, QuantityKind::count);
  const auto deployed_t = mean_interval({0, 1, 3, 1, 2, 0, 3, 1, 0, 2}, QuantityKind::unbounded);
  EXPECT_EQ(deployed.low, deployed_t.low);  // 1.3 -+ 0.7: already above 0, left alone
  EXPECT_GT(deployed.low, 0.0);
  const auto none = mean_interval({0, 0, 0}, QuantityKind::count);
  EXPECT_EQ(none.low, 0.0);
  EXPECT_EQ(none.high, 0.0);
  // Values outside a kind's range (not from a metric of that kind): the t interval, clamped.
  const auto negative = mean_interval({-1, -3}, QuantityKind::count);
  EXPECT_EQ(negative.low, 0.0);
  EXPECT_NEAR(negative.high, -2 + 12.706205 * 1, 1e-5);  // se = sd / sqrt(2) = 1
  EXPECT_EQ(mean_bounds(1.5, 0.1, 3, QuantityKind::proportion).low, 1.0);
  EXPECT_TRUE(std::isnan(mean_bounds(0.5, NAN, 1, QuantityKind::proportion).high));
}

TEST(MeanInterval, EveryRunMetricHasTheKindOfItsValues) {
  for (const auto& field : run_metric_fields()) {
    SCOPED_TRACE(field.name);
    const std::string name = field.name;
    const bool difference = name == "accuracy_change" || name == "retrain_test_change_min";
    EXPECT_EQ(field.kind, field.is_integer ? QuantityKind::count
                          : difference     ? QuantityKind::unbounded
                                           : QuantityKind::proportion);
  }
  EXPECT_STREQ(quantity_kind_name(QuantityKind::proportion), "proportion");
  EXPECT_STREQ(quantity_kind_name(QuantityKind::count), "count");
  EXPECT_STREQ(quantity_kind_name(QuantityKind::unbounded), "unbounded");
}

// Two cells (threshold 1 and 3) x three seeds; run 4 failed; run 2 has no poison (TPR NaN).
std::vector<SummaryColumn> summary() {
  return {{"run", Kind::integer, {}, {0, 1, 2, 3, 4, 5}, {}},
          {"status", Kind::text, {}, {}, {"ok", "ok", "ok", "ok", "failed", "ok"}},
          {"guard.threshold", Kind::real, {1, 1, 1, 3, 3, 3}, {}, {}},
          {"seed", Kind::real, {1, 2, 3, 1, 2, 3}, {}, {}},
          {"accuracy_last", Kind::real, {0.80, 0.84, 0.82, 0.70, NAN, 0.74}, {}, {}},
          {"true_positive_rate", Kind::real, {0.9, 0.7, NAN, 0.2, NAN, 0.4}, {}, {}},
          {"refused", Kind::integer, {}, {1, 2, 3, 0, 0, 4}, {}}};
}

TEST(SweepAggregate, OneRowPerCellAndMetricWithFailedRunsLeftOut) {
  const auto table = aggregate_over(summary(), {"guard.threshold", "seed"}, "seed", "s.h5");
  std::vector<std::string> names;
  for (const auto& c : table) names.push_back(c.name);
  EXPECT_EQ(names, (std::vector<std::string>{"cell", "guard.threshold", "metric", "kind", "runs",
                                             "failed", "n", "mean", "sd", "t", "ci95_half_width",
                                             "ci95_low", "ci95_high"}));
  using test::column;
  EXPECT_EQ(column(table, "cell").integers, (std::vector<int64_t>{0, 0, 0, 1, 1, 1}));
  EXPECT_EQ(column(table, "guard.threshold").reals, (std::vector<double>{1, 1, 1, 3, 3, 3}));
  EXPECT_EQ(column(table, "metric").texts,
            (std::vector<std::string>{"accuracy_last", "true_positive_rate", "refused",
                                      "accuracy_last", "true_positive_rate", "refused"}));
  EXPECT_EQ(column(table, "kind").texts,
            (std::vector<std::string>{"proportion", "proportion", "count", "proportion",
                                      "proportion", "count"}));
  EXPECT_EQ(column(table, "runs").integers, (std::vector<int64_t>{3, 3, 3, 3, 3, 3}));
  EXPECT_EQ(column(table, "failed").integers, (std::vector<int64_t>{0, 0, 0, 1, 1, 1}));
  EXPECT_EQ(column(table, "n").integers, (std::vector<int64_t>{3, 2, 3, 2, 2, 2}));
  const auto& mean = column(table, "mean").reals;
  const auto& half = column(table, "ci95_half_width").reals;
  EXPECT_NEAR(mean[0], 0.82, 1e-15);
  EXPECT_NEAR(half[0], 4.302653 * 0.02 / std::sqrt(3.0), 1e-7);  // sd of .80 .84 .82 is .02
  EXPECT_NEAR(mean[1], 0.8, 1e-15);
  EXPECT_NEAR(half[1], 12.706205 * 0.1, 1e-6);  // |0.9 - 0.7| / 2 * t(0.975, 1)
  EXPECT_DOUBLE_EQ(mean[2], 2);
  EXPECT_NEAR(mean[3], 0.72, 1e-15);  // the failed run's NaN is not a value
  EXPECT_DOUBLE_EQ(mean[5], 2);
  EXPECT_NEAR(column(table, "sd").reals[5], std::sqrt(8.0), 1e-14);
  // Refused 0 and 4: 2 -+ t se with se = 2; t alone went to -23.4, cut off at 0.
  EXPECT_EQ(column(table, "ci95_low").reals[5], 0.0);
  EXPECT_NEAR(column(table, "ci95_high").reals[5], 2 + 12.706205 * 2, 1e-5);
  // TPR 0.9 and 0.7: inside (0, 1) where t alone gave [-0.47, 2.07].
  const auto& low = column(table, "ci95_low").reals;
  const auto& high = column(table, "ci95_high").reals;
  EXPECT_NEAR(low[1], expit(logit(0.8) - 12.706205 * 0.1 / 0.16), 1e-7);
  EXPECT_NEAR(high[1], expit(logit(0.8) + 12.706205 * 0.1 / 0.16), 1e-7);
  for (size_t row = 0; row < low.size(); ++row) {
    EXPECT_GE(low[row], 0.0) << row;
    if (column(table, "kind").texts[row] == "proportion") {
      EXPECT_LE(high[row], 1.0) << row;
    }
  }
}

TEST(SweepAggregate, NeedsTheAxisAndTheStatus) {
  test::expect_user_error([] { aggregate_over(summary(), {"guard.threshold"}, "seed", "s.h5"); },
                          "s.h5", "no 'seed' axis");
  auto without_status = summary();
  without_status.erase(without_status.begin() + 1);
  test::expect_user_error(
      [&] {
        aggregate_over(without_status, {"guard.threshold", "seed"}, "seed", "s.h5");
      },
      "s.h5", "no column 'status'");
  // Only seeds swept: one cell of every run.
  auto seeds_only = summary();
  seeds_only.erase(seeds_only.begin() + 2);
  const auto table = aggregate_over(seeds_only, {"seed"}, "seed", "s.h5");
  EXPECT_EQ(test::column(table, "runs").integers, (std::vector<int64_t>{6, 6, 6}));
  EXPECT_EQ(test::column(table, "failed").integers, (std::vector<int64_t>{1, 1, 1}));
}

}  // namespace
}  // namespace poisonsim
