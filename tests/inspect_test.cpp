// `poisonsim inspect`, driven in-process on the example trace: the numbers it reports.
#include <algorithm>
#include <cmath>
#include <string>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "pipeline/trace/run_metrics.h"
#include "pipeline/trace/sweep_aggregate.h"
#include "pipeline/trace/sweep_file.h"
#include "pipeline/trace/trace_metadata.h"
#include "tests/example_trace.h"
#include "tests/test_support.h"
#include "tools/cli/commands.h"
#include "tools/cli/gate_refusals.h"

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
  EXPECT_EQ(j["run"]["trace_format"], kTraceFormat);

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
  // Per stage, as the scenario lists them, from samples.rejected_by.
  const auto& stages = j["guard"]["stages"];
  ASSERT_EQ(stages.size(), 2u);
  EXPECT_EQ(stages[0]["type"], "loss-threshold");
  EXPECT_EQ(stages[0]["poison_rejected"], 100);
  EXPECT_EQ(stages[0]["clean_rejected"], 0);
  EXPECT_EQ(stages[1]["type"], "knn");
  EXPECT_EQ(stages[1]["poison_rejected"], 0);
  EXPECT_EQ(stages[1]["clean_rejected"], 20);
  EXPECT_DOUBLE_EQ(stages[1]["false_positive_rate"].get<double>(), 0.02);

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

// Each defense stage from the `defense` table: totals, the clean-window false-positive rate, the
// share of removals that were clean, and the stage's wall seconds.
TEST(Inspect, DefenseStagesByGroundTruth) {
  test::ScratchDir dir;
  test::write_example_trace(dir.file("t.h5"), true);
  const auto j = nlohmann::json::parse(inspect(dir.file("t.h5") + " --json"));
  ASSERT_EQ(j["defense"].size(), 1u);
  const auto& stage = j["defense"][0];
  EXPECT_EQ(stage["stage"], 1);
  EXPECT_EQ(stage["kind"], "guard");
  EXPECT_EQ(stage["type"], "loss-threshold");
  EXPECT_EQ(stage["windows"], 4);
  EXPECT_EQ(stage["poison_seen"], 90);
  EXPECT_EQ(stage["poison_removed"], 72);
  EXPECT_EQ(stage["clean_seen"], 1000);
  EXPECT_EQ(stage["clean_removed"], 20);
  EXPECT_DOUBLE_EQ(stage["true_positive_rate"].get<double>(), 0.8);
  EXPECT_EQ(stage["clean_windows"], 1);
  EXPECT_DOUBLE_EQ(stage["clean_window_false_positive_rate"].get<double>(), 0.02);
  EXPECT_DOUBLE_EQ(stage["removed_not_poison"].get<double>(), 20.0 / 92.0);
  EXPECT_DOUBLE_EQ(stage["wall_seconds"].get<double>(), 0.25);
  const std::string text = inspect(dir.file("t.h5"));
  EXPECT_NE(text.find("on 1 window with no poison: 0.0200 (5 of 250)"), std::string::npos) << text;
  EXPECT_NE(text.find("removed, not poison 0.2174 (20 of 92)"), std::string::npos) << text;
}

TEST(Inspect, TextSummary) {
  test::ScratchDir dir;
  test::write_example_trace(dir.file("t.h5"), true);
  const std::string text = inspect(dir.file("t.h5"));
  EXPECT_NE(text.find("seed 7"), std::string::npos) << text;
  EXPECT_NE(text.find("complete"), std::string::npos) << text;
  EXPECT_NE(text.find("true positive rate  0.8000"), std::string::npos) << text;
  EXPECT_NE(text.find("min 0.6000 at 70.0 s"), std::string::npos) << text;
  // The gate's one refusal, with its reason in the limit's units, and the poison it held.
  EXPECT_NE(text.find("1 refused by the gate, 0 with no poison in the buffer"), std::string::npos)
      << text;
  EXPECT_NE(text.find("refusals   at 75 s (retrain 2): validation loss rose 0.2000 nats, 0.1500 "
                      "past the 0.0500-nat limit; 75 poison among the 250 samples trained on"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("0 refused with no poison in the buffer"), std::string::npos) << text;
}

TEST(Inspect, JsonListsEachRefusalWithItsReason) {
  test::ScratchDir dir;
  test::write_example_trace(dir.file("t.h5"), true);
  const auto j = nlohmann::json::parse(inspect(dir.file("t.h5") + " --json"));
  EXPECT_EQ(j["retrains"]["refused_without_poison"], 0);
  ASSERT_EQ(j["retrains"]["refusals"].size(), 1u);
  const auto& refusal = j["retrains"]["refusals"][0];
  EXPECT_EQ(refusal["time"], 75.0);
  EXPECT_EQ(refusal["reason"], "validation_loss");
  EXPECT_NEAR(refusal["margin"].get<double>(), 0.15, 1e-12);
  EXPECT_EQ(refusal["poison_in_buffer"], 75);
  EXPECT_NEAR(refusal["test_accuracy_after"].get<double>(), 0.74, 1e-12);
}

// Refusals of every kind, and those of a model trained on no poison counted apart: they are
// the gate's false alarms.
TEST(Inspect, RefusalsInWordsAndThoseWithoutPoisonCounted) {
  std::vector<RetrainRow> rows(4);
  rows[0].time = 60;
  rows[0].buffer_size = 3425;
  rows[0].validation_loss_before = 0.40;
  rows[0].validation_loss_after = 0.47;
  set_trace_name(rows[0].gate_reason, "validation_loss");
  rows[0].gate_margin = 0.02;
  rows[1].time = 120.5;
  rows[1].index = 1;
  rows[1].buffer_size = 100;
  rows[1].poison_in_buffer = 40;
  rows[1].validation_accuracy_before = 0.85;
  rows[1].validation_accuracy_after = 0.80;
  set_trace_name(rows[1].gate_reason, "validation_accuracy");
  rows[1].gate_margin = 0.03;
  rows[2].time = 180;
  rows[2].index = 2;
  rows[2].validation_loss_after = std::nan("");
  set_trace_name(rows[2].gate_reason, "loss_not_finite");
  rows[3].time = 240;
  rows[3].index = 3;  // read from a trace_format 3 file: no reason
  testing::internal::CaptureStdout();
  cli::print_refusals(rows, 3);
  const std::string text = testing::internal::GetCapturedStdout();
  for (const char* expected :
       {"refusals   at 60 s (retrain 0): validation loss rose 0.0700 nats, 0.0200 past the "
        "0.0500-nat limit; 0 poison among the 3425 samples trained on",
        "at 120.5 s (retrain 1): validation accuracy fell 0.0500, 0.0300 past the 0.0200 limit; "
        "40 poison among the 100 samples trained on",
        "at 180 s (retrain 2): the candidate's validation loss is nan",
        "and 1 more (--json lists them all)", "3 refused with no poison in the buffer"})
    EXPECT_NE(text.find(expected), std::string::npos) << expected << "\n" << text;
  EXPECT_NE(cli::refusal_text(rows[3]).find("reason not recorded (a trace before trace_format 4)"),
            std::string::npos);
  const auto json = cli::refusals_json(rows);
  EXPECT_TRUE(json[3]["reason"].is_null());
  EXPECT_TRUE(json[3]["margin"].is_null());
}

// A sweep file written before the aggregate table existed: a summary with a seed axis only.
// With `unbounded_aggregate`, the aggregate table of a poisonsim from before bounded intervals:
// no `kind` column, the plain t interval (its accuracy ran to 1.2112).
void write_old_seed_sweep(const std::string& path, bool unbounded_aggregate = false) {
  using Kind = SummaryColumn::Kind;
  SweepFileWriter writer(path, {"s.yaml", "duration: 1\n", {"guard.threshold", "seed"}, "0.1", {}});
  const std::vector<SummaryColumn> summary{
      {"run", Kind::integer, {}, {0, 1, 2, 3}, {}},
      {"status", Kind::text, {}, {}, {"ok", "ok", "ok", "failed"}},
      {"guard.threshold", Kind::real, {1, 1, 2, 2}, {}, {}},
      {"seed", Kind::real, {1, 2, 1, 2}, {}, {}},
      {"accuracy_last", Kind::real, {0.80, 0.86, 0.75, NAN}, {}, {}},
      {"refused", Kind::integer, {}, {1, 4, 2, 0}, {}}};
  writer.write_summary(summary);
  if (unbounded_aggregate) {
    auto table = aggregate_over(summary, {"guard.threshold", "seed"}, "seed", path);
    const auto named = [&table](const char* name) -> std::vector<double>& {
      return std::find_if(table.begin(), table.end(),
                          [&](const SummaryColumn& c) { return c.name == name; })
          ->reals;
    };
    auto &low = named("ci95_low"), &high = named("ci95_high");
    const auto &mean = named("mean"), &half = named("ci95_half_width");
    for (size_t row = 0; row < low.size(); ++row)
      low[row] = mean[row] - half[row], high[row] = mean[row] + half[row];
    table.erase(std::find_if(table.begin(), table.end(),
                             [](const SummaryColumn& c) { return c.name == "kind"; }));
    writer.write_table("aggregate", table);
  }
  writer.close();
}

TEST(Inspect, MeanOverSeedRecomputesAnAggregateTableFromBeforeBoundedIntervals) {
  test::ScratchDir dir;
  write_old_seed_sweep(dir.file("s.h5"), true);
  ASSERT_GT(find_column(read_sweep_file(dir.file("s.h5")).aggregate, "ci95_high")->reals[0], 1.0);
  const auto j = nlohmann::json::parse(inspect(dir.file("s.h5") + " --mean-over seed --json"));
  const auto& accuracy = j["cells"][0]["metrics"]["accuracy_last"];
  EXPECT_EQ(accuracy["kind"], "proportion");
  EXPECT_NEAR(accuracy["ci95_high"].get<double>(), 0.98644241926, 1e-9);
  EXPECT_EQ(j["cells"][0]["metrics"]["refused"]["ci95_low"].get<double>(), 0.0);
}

TEST(Inspect, MeanOverSeedOfASweepWithoutAggregateTable) {
  test::ScratchDir dir;
  write_old_seed_sweep(dir.file("s.h5"));
  const auto j = nlohmann::json::parse(inspect(dir.file("s.h5") + " --mean-over seed --json"));
  EXPECT_EQ(j["mean_over"], "seed");
  EXPECT_EQ(j["seeds"], nlohmann::json::parse("[1, 2]"));
  ASSERT_EQ(j["cells"].size(), 2u);
  const auto& first = j["cells"][0];
  EXPECT_EQ(first["values"]["guard.threshold"], 1.0);
  EXPECT_EQ(first["runs"], 2);
  EXPECT_EQ(first["failed"], 0);
  const auto& accuracy = first["metrics"]["accuracy_last"];
  EXPECT_EQ(accuracy["n"], 2);
  EXPECT_NEAR(accuracy["mean"].get<double>(), 0.83, 1e-12);
  EXPECT_NEAR(accuracy["sd"].get<double>(), 0.06 / std::sqrt(2.0), 1e-12);
  EXPECT_NEAR(accuracy["ci95_half_width"].get<double>(), 12.7062047 * 0.03, 1e-7);
  EXPECT_NEAR(first["metrics"]["refused"]["mean"].get<double>(), 2.5, 1e-12);
  const auto& second = j["cells"][1];  // one run failed: n = 1, no interval
  EXPECT_EQ(second["failed"], 1);
  EXPECT_EQ(second["metrics"]["accuracy_last"]["n"], 1);
  EXPECT_TRUE(second["metrics"]["accuracy_last"]["ci95_half_width"].is_null());

  // Recomputed with bounds (the file has no aggregate table): 0.83 -+ 12.706 * 0.03 ran to
  // 1.2112; on the logit scale expit(logit(0.83) -+ 12.706 * 0.03 / (0.83 * 0.17)).
  EXPECT_EQ(accuracy["kind"], "proportion");
  EXPECT_NEAR(accuracy["ci95_low"].get<double>(), 0.24677173326, 1e-9);
  EXPECT_NEAR(accuracy["ci95_high"].get<double>(), 0.98644241926, 1e-9);
  EXPECT_EQ(first["metrics"]["refused"]["kind"], "count");
  EXPECT_EQ(first["metrics"]["refused"]["ci95_low"].get<double>(), 0.0);  // t: -16.6

  const std::string text = inspect(dir.file("s.h5") + " --mean-over seed");
  EXPECT_NE(text.find("2 seeds (1, 2)"), std::string::npos) << text;
  EXPECT_NE(text.find("0.8300  [0.2468, 0.9864]       sd 0.0424"), std::string::npos) << text;
  EXPECT_NE(text.find("2.5  [0.0, 21.6]"), std::string::npos) << text;  // counts: one decimal
  EXPECT_EQ(text.find("±"), std::string::npos) << text;
  EXPECT_NE(text.find("cell 1: guard.threshold=2 (2 runs, 1 failed and left out)"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("0.7500   (n = 1: no interval)"), std::string::npos) << text;
}

// Before the blocks, one table of cells by key metrics (those the sweep has), side by side.
TEST(Inspect, MeanOverSeedPutsTheCellsSideBySide) {
  test::ScratchDir dir;
  write_old_seed_sweep(dir.file("s.h5"));
  const std::string text = inspect(dir.file("s.h5") + " --mean-over seed");
  const size_t table = text.find("cell  guard.threshold  n  accuracy_last         refused\n");
  ASSERT_NE(table, std::string::npos) << text;
  EXPECT_NE(text.find("\n0     1                2  0.830 [0.247, 0.986]  2.5 [0.0, 21.6]\n"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("\n1     2                1  0.750 (n=1)           2.0 (n=1)\n"),
            std::string::npos)
      << text;
  EXPECT_LT(table, text.find("cell 0: guard.threshold=1")) << text;  // the blocks follow
}

TEST(Inspect, JsonGoesToAFileOrToStdout) {
  test::ScratchDir dir;
  test::write_example_trace(dir.file("t.h5"), true);
  // --json before the trace keeps meaning "JSON on stdout".
  EXPECT_EQ(nlohmann::json::parse(inspect("--json " + dir.file("t.h5")))["run"]["seed"], 7u);
  EXPECT_EQ(nlohmann::json::parse(inspect(dir.file("t.h5") + " --json -"))["run"]["seed"], 7u);
  const std::string text = inspect(dir.file("t.h5") + " --json " + dir.file("t.json"));
  EXPECT_NE(text.find("seed 7"), std::string::npos) << text;  // the table still printed
  EXPECT_EQ(nlohmann::json::parse(test::read_text(dir.file("t.json")))["run"]["seed"], 7u);
  test::expect_user_error([&] { inspect(dir.file("t.h5") + " --mean-over seed"); },
                          dir.file("t.h5"), "needs a sweep file");
  // Written as every output is (sim/util/atomic_output.h): under a file, no directory can be made.
  const std::string under_a_file = dir.file("t.h5") + "/x.json";
  test::expect_user_error([&] { inspect(dir.file("t.h5") + " --json " + under_a_file); },
                          under_a_file, "cannot create the directory");
}

TEST(Inspect, NotATraceIsAUserError) {
  test::ScratchDir dir;
  test::write_text(dir.file("x.h5"), "nope");
  test::expect_user_error([&] { inspect(dir.file("x.h5")); }, dir.file("x.h5"), "not an HDF5 file");
}

// Stage names as samples.rejected_by numbers them: the guard's, then the sanitize list's.
TEST(GuardStageTypes, SanitizeStagesAreNumberedAfterTheGuards) {
  EXPECT_EQ(guard_stage_types("guard: [{type: loss-threshold}, {type: knn}]\n"),
            (std::vector<std::string>{"loss-threshold", "knn"}));
  EXPECT_EQ(guard_stage_types("guard: {type: none}\nsanitize: [{type: spectral}, "
                              "{type: activation-clustering}]\n"),
            (std::vector<std::string>{"none", "spectral", "activation-clustering"}));
  EXPECT_EQ(guard_stage_types("sanitize: [{type: spectral}]\n"),
            (std::vector<std::string>{"none", "spectral"}));
}

}  // namespace
}  // namespace poisonsim
