// `poisonsim inspect`, driven in-process on the example trace: the numbers it reports.
#include <string>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "tests/example_trace.h"
#include "tests/test_support.h"
#include "tools/commands/commands.h"

namespace poisonsim {
namespace {

// Runs `poisonsim <arguments>` with only the inspect verb registered; returns its stdout.
std::string inspect(const std::string& arguments) {
  CLI::App app;
  cli::GlobalOptions global;
  global.threads = 1;
  global.log_level = "warn";
  cli::add_inspect_command(app, global);
  testing::internal::CaptureStdout();
  try {
    app.parse("inspect " + arguments, false);
  } catch (...) {
    testing::internal::GetCapturedStdout();
    throw;
  }
  return testing::internal::GetCapturedStdout();
}

TEST(Inspect, JsonReportsSourcesGuardRetrainsAndAccuracy) {
  test::ScratchDir dir;
  test::write_example_trace(dir.file("t.h5"), true);
  const auto j = nlohmann::json::parse(inspect(dir.file("t.h5") + " --json"));

  EXPECT_EQ(j["run"]["seed"], 7u);
  EXPECT_EQ(j["run"]["complete"], true);
  EXPECT_EQ(j["run"]["duration"], 100.0);
  EXPECT_EQ(j["run"]["trace_format"], 1);

  ASSERT_EQ(j["sources"].size(), 2u);
  const auto& clean = j["sources"][0];
  EXPECT_EQ(clean["name"], "clean");
  EXPECT_EQ(clean["kind"], "stream");
  EXPECT_EQ(clean["batches"], 100);
  EXPECT_EQ(clean["samples"], 1000);
  EXPECT_EQ(clean["poisoned"], 0);
  EXPECT_EQ(clean["rejected"], 20);
  EXPECT_DOUBLE_EQ(clean["rejection_rate"].get<double>(), 0.02);
  const auto& attacker = j["sources"][1];
  EXPECT_EQ(attacker["name"], "label-flip");
  EXPECT_EQ(attacker["kind"], "attacker");
  EXPECT_EQ(attacker["batches"], 25);
  EXPECT_EQ(attacker["poisoned"], 125);
  EXPECT_EQ(attacker["rejected"], 100);

  EXPECT_EQ(j["guard"]["poison"], 125);
  EXPECT_EQ(j["guard"]["clean"], 1000);
  EXPECT_DOUBLE_EQ(j["guard"]["true_positive_rate"].get<double>(), 0.8);
  EXPECT_DOUBLE_EQ(j["guard"]["false_positive_rate"].get<double>(), 0.02);

  EXPECT_EQ(j["retrains"]["count"], 4);
  EXPECT_EQ(j["retrains"]["deployed"], 3);
  EXPECT_EQ(j["retrains"]["refused"], 1);
  EXPECT_DOUBLE_EQ(j["retrains"]["mean_poison_fraction"].get<double>(), 0.25);

  EXPECT_EQ(j["evaluations"]["count"], 10);
  EXPECT_EQ(j["evaluations"]["first"]["time"], 10.0);
  EXPECT_DOUBLE_EQ(j["evaluations"]["first"]["accuracy"].get<double>(), 0.88);
  EXPECT_EQ(j["evaluations"]["last"]["time"], 100.0);
  EXPECT_DOUBLE_EQ(j["evaluations"]["last"]["accuracy"].get<double>(), 0.70);
  EXPECT_EQ(j["evaluations"]["min"]["time"], 70.0);
  EXPECT_DOUBLE_EQ(j["evaluations"]["min"]["accuracy"].get<double>(), 0.60);
}

TEST(Inspect, WithoutSamplesTableGuardRatesComeFromBatchEvents) {
  test::ScratchDir dir;
  test::write_example_trace(dir.file("t.h5"), false);
  const auto j = nlohmann::json::parse(inspect(dir.file("t.h5") + " --json"));
  EXPECT_EQ(j["poisoned_counted_from"], "poison-batch events");
  EXPECT_EQ(j["sources"][1]["poisoned"], 125);
  EXPECT_EQ(j["guard"]["poison"], 125);
  EXPECT_DOUBLE_EQ(j["guard"]["true_positive_rate"].get<double>(), 0.8);
  EXPECT_DOUBLE_EQ(j["guard"]["false_positive_rate"].get<double>(), 0.02);
  const std::string text = inspect(dir.file("t.h5"));
  EXPECT_NE(text.find("counts come from the batch events"), std::string::npos) << text;
}

TEST(Inspect, TextSummary) {
  test::ScratchDir dir;
  test::write_example_trace(dir.file("t.h5"), true);
  const std::string text = inspect(dir.file("t.h5"));
  EXPECT_NE(text.find("seed 7"), std::string::npos) << text;
  EXPECT_NE(text.find("complete"), std::string::npos) << text;
  EXPECT_NE(text.find("true positive rate  0.8000"), std::string::npos) << text;
  EXPECT_NE(text.find("min 0.6000 at 70.0 s"), std::string::npos) << text;
}

TEST(Inspect, NotATraceIsAUserError) {
  test::ScratchDir dir;
  test::write_text(dir.file("x.h5"), "nope");
  test::expect_user_error([&] { inspect(dir.file("x.h5")); }, dir.file("x.h5"), "not an HDF5 file");
}

}  // namespace
}  // namespace poisonsim
