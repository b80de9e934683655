// `poisonsim sweep --seeds N` and `poisonsim inspect SWEEP.h5 --mean-over seed`, end to end on
// small synthetic runs: the aggregate table and what inspect prints are the hand computation
// from the summary rows; bad values end in one error line.
#include <algorithm>
#include <cmath>
#include <filesystem>

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "pipeline/trace/confidence_interval.h"
#include "pipeline/trace/run_metrics.h"
#include "pipeline/trace/sweep_file.h"
#include "tests/sweep_test_support.h"
#include "tests/test_support.h"

namespace poisonsim {
namespace {

using test::column;
using test::expect_one_error;
using test::poisonsim;
using test::small_scenario;
using SweepSeeds = test::SweepCliTest;

constexpr double kT1 = 12.706204736174707;  // Student t quantile at 0.975, 1 degree of freedom

double summary_value(const SweepContents& sweep, const std::string& metric, size_t row) {
  const auto& c = column(sweep, metric);
  return c.kind == SummaryColumn::Kind::integer ? static_cast<double>(c.integers[row])
                                                : c.reals[row];
}

TEST_F(SweepSeeds, TwoSeedsGiveMeansWithIntervalsBoundedByTheMetricsKind) {
  const std::string out = dir.file("s.h5");
  // The scenario's seed is 3: every threshold runs with seeds 3 and 4.
  auto result =
      poisonsim("sweep " + small_scenario() +
                " --param guard.threshold=1,3 --seeds 2 --set duration=40 --quiet -o " + out);
  ASSERT_EQ(result.exit_code, 0) << result.output;
  EXPECT_NE(result.output.find("--mean-over seed"), std::string::npos) << result.output;
  const auto sweep = read_sweep_file(out);
  EXPECT_EQ(sweep.header.parameters, (std::vector<std::string>{"guard.threshold", "seed"}));
  EXPECT_EQ(column(sweep, "seed").reals, (std::vector<double>{3, 4, 3, 4}));
  EXPECT_EQ(column(sweep, "status").texts, std::vector<std::string>(4, "ok"));

  // The file's aggregate table: two cells of two runs, every metric.
  const auto& table = sweep.aggregate;
  ASSERT_FALSE(table.empty());
  const auto& metric = column(table, "metric").texts;
  ASSERT_EQ(metric.size(), 2u * run_metric_fields().size());
  const auto json =
      nlohmann::json::parse(poisonsim("inspect " + out + " --mean-over seed --json -").output);
  ASSERT_EQ(json["cells"].size(), 2u);
  EXPECT_EQ(json["seeds"], nlohmann::json::parse("[3, 4]"));
  EXPECT_EQ(json["parameters"], nlohmann::json::parse("[\"guard.threshold\"]"));
  const auto text = poisonsim("inspect " + out + " --mean-over seed");
  ASSERT_EQ(text.exit_code, 0) << text.output;
  EXPECT_NE(text.output.find("cell 1: guard.threshold=3 (2 runs)"), std::string::npos)
      << text.output;
  int with_spread = 0;
  for (size_t row = 0; row < metric.size(); ++row) {
    const size_t cell = row / run_metric_fields().size();
    EXPECT_EQ(column(table, "cell").integers[row], static_cast<int64_t>(cell));
    EXPECT_EQ(column(table, "guard.threshold").reals[row], cell == 0 ? 1 : 3);
    // By hand from the cell's two summary rows (runs 2 * cell and 2 * cell + 1).
    const double a = summary_value(sweep, metric[row], 2 * cell);
    const double b = summary_value(sweep, metric[row], 2 * cell + 1);
    const double mean = (a + b) / 2, sd = std::fabs(a - b) / std::sqrt(2.0);
    const double half = kT1 * sd / std::sqrt(2.0);
    with_spread += a != b;
    SCOPED_TRACE(metric[row] + " in cell " + std::to_string(cell));
    EXPECT_EQ(column(table, "n").integers[row], 2);
    EXPECT_EQ(column(table, "runs").integers[row], 2);
    EXPECT_EQ(column(table, "failed").integers[row], 0);
    EXPECT_NEAR(column(table, "mean").reals[row], mean, 1e-12 * (1 + std::fabs(mean)));
    EXPECT_NEAR(column(table, "sd").reals[row], sd, 1e-12 * (1 + sd));
    EXPECT_NEAR(column(table, "t").reals[row], kT1, 1e-9);
    EXPECT_NEAR(column(table, "ci95_half_width").reals[row], half, 1e-9 * (1 + half));
    // The interval on the scale of the metric's kind (unit-tested in confidence_interval_test).
    const bool count = column(sweep.summary, metric[row]).kind == SummaryColumn::Kind::integer;
    const auto& fields = run_metric_fields();
    const auto field = std::find_if(fields.begin(), fields.end(),
                                    [&](const MetricField& f) { return metric[row] == f.name; });
    ASSERT_NE(field, fields.end());
    const QuantityKind kind = field->kind;
    EXPECT_EQ(count, kind == QuantityKind::count);
    EXPECT_EQ(column(table, "kind").texts[row], quantity_kind_name(kind));
    const Bounds bounds = mean_bounds(mean, sd, 2, kind);
    const double low = column(table, "ci95_low").reals[row];
    const double high = column(table, "ci95_high").reals[row];
    EXPECT_NEAR(low, bounds.low, 1e-9 * (1 + std::fabs(bounds.low)));
    EXPECT_NEAR(high, bounds.high, 1e-9 * (1 + std::fabs(bounds.high)));
    if (kind != QuantityKind::unbounded) {
      EXPECT_GE(low, 0.0);
    }
    if (kind == QuantityKind::proportion) {
      EXPECT_LE(high, 1.0);
    }
    EXPECT_LE(low, mean);
    EXPECT_GE(high, mean);
    const auto& m = json["cells"][cell]["metrics"][metric[row]];
    EXPECT_EQ(m["n"], 2);
    EXPECT_NEAR(m["mean"].get<double>(), mean, 1e-12 * (1 + std::fabs(mean)));
    EXPECT_NEAR(m["ci95_half_width"].get<double>(), half, 1e-9 * (1 + half));
    EXPECT_NEAR(m["sd"].get<double>(), sd, 1e-12 * (1 + sd));
    EXPECT_EQ(m["kind"], quantity_kind_name(kind));
    EXPECT_NEAR(m["ci95_low"].get<double>(), low, 1e-12);
    if (metric[row] == "accuracy_mean") {
      // The text: mean [low, high] sd, to 4 decimals (no "±": the interval is not symmetric).
      const std::string line =
          fmt::format("{:<28} {:>3} {:>10}  {:<22} sd {:.4f}", "accuracy_mean", 2,
                      fmt::format("{:.4f}", mean), fmt::format("[{:.4f}, {:.4f}]", low, high), sd);
      EXPECT_NE(text.output.find(line), std::string::npos) << line << "\n" << text.output;
    }
  }
  EXPECT_GT(with_spread, 0) << "the two seeds gave identical runs";

  // --json FILE writes the JSON and still prints the table.
  const auto both = poisonsim("inspect " + out + " --mean-over seed --json " + dir.file("m.json"));
  ASSERT_EQ(both.exit_code, 0) << both.output;
  EXPECT_NE(both.output.find("95% confidence interval"), std::string::npos) << both.output;
  // The same figures; each says which command made it (provenance).
  auto from_file = nlohmann::json::parse(test::read_text(dir.file("m.json")));
  auto from_stdout = json;
  ASSERT_TRUE(from_file.contains("provenance"));
  ASSERT_TRUE(from_stdout.contains("provenance"));
  EXPECT_EQ(from_file["provenance"]["command_line"].back(), dir.file("m.json"));
  from_file.erase("provenance");
  from_stdout.erase("provenance");
  EXPECT_EQ(from_file, from_stdout);
}

// --report DIR: the sweep draws its own report at the end, here the dose-response figure of a
// seeded sweep over one attacker's rate; a shard, which writes no sweep file, refuses it.
TEST_F(SweepSeeds, ReportDrawsTheDoseResponseAtTheEnd) {
  const std::string out = dir.file("dose.h5");
  const std::string report = dir.file("dose-report");
  auto result = poisonsim("sweep " + small_scenario() +
                          " --param attackers.0.arrival.rate=0.1,0.5 --seeds 2 --set duration=40"
                          " --quiet -o " +
                          out + " --report " + report);
  ASSERT_EQ(result.exit_code, 0) << result.output;
  const std::string page = test::read_text(report + "/index.html");
  EXPECT_NE(page.find("Dose-response over attackers.0.arrival.rate"), std::string::npos);
  EXPECT_TRUE(std::filesystem::exists(report + "/dose-dose.png"));
  expect_one_error(
      poisonsim("sweep " + small_scenario() + " --shard 0/2 -o " + out + " --report " + report),
      "--report " + report + ": a shard writes no sweep file");
}

TEST_F(SweepSeeds, BadSeedsAndMeansEndInOneErrorLine) {
  const std::string sweep = "sweep " + small_scenario() + " --dry-run ";
  for (const std::string bad : {"0", "-1", "abc", "1.5", "10001"})
    expect_one_error(poisonsim(sweep + "--seeds=" + bad), "--seeds " + bad + ": expected a whole");
  expect_one_error(poisonsim(sweep + "--seeds 2 --param seed=1,2"),
                   "--seeds 2: the seeds are also given by --param seed=1,2");
  test::write_text(dir.file("s.yaml"), test::read_text(small_scenario()) + "sweep: {seeds: two}\n");
  expect_one_error(poisonsim("sweep " + dir.file("s.yaml") + " --dry-run"), "sweep.seeds");
  auto dry = poisonsim(sweep + "--seeds 2 --param guard.threshold=1,2");
  EXPECT_EQ(dry.exit_code, 0) << dry.output;
  EXPECT_NE(dry.output.find("run    3: guard.threshold=2  seed=4"), std::string::npos)
      << dry.output;
  EXPECT_FALSE(std::filesystem::exists(dir.file("s.h5.parts")));

  // --mean-over: only seed, only on a sweep file with a seed axis.
  ASSERT_EQ(poisonsim("sweep " + small_scenario() +
                      " --param guard.threshold=2 --set duration=20 --quiet -o " + dir.file("t.h5"))
                .exit_code,
            0);
  expect_one_error(poisonsim("inspect " + dir.file("t.h5") + " --mean-over seed"),
                   "the sweep has no seed axis (swept: guard.threshold)");
  expect_one_error(poisonsim("inspect " + dir.file("t.h5") + " --mean-over run"),
                   "--mean-over run: only `seed` is supported");
  expect_one_error(poisonsim("inspect " + dir.file("t.h5") + " --group /runs/0 --mean-over seed"),
                   "--mean-over needs a sweep file");
}

}  // namespace
}  // namespace poisonsim
