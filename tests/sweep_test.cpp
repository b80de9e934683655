// Sweeps: the value grammar, the sweep block, the grid plan, the sweep file and the offline ROC.
#include <cmath>
#include <limits>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "pipeline/scenario/scenario.h"
#include "pipeline/scenario/sweep_axes.h"
#include "pipeline/trace/offline_roc.h"
#include "pipeline/trace/sweep_file.h"
#include "pipeline/trace/trace_reader.h"
#include "pipeline/trace/trace_writer.h"
#include "tests/test_support.h"
#include "tools/common/builtin_plugins.h"
#include "tools/sweep/sweep_parts.h"
#include "tools/sweep/sweep_plan.h"

namespace poisonsim {
namespace {

using Values = std::vector<std::string>;
using cli::builtin_plugins;

TEST(SweepValues, ListsRangesAndSingleValues) {
  EXPECT_EQ(parse_sweep_values("1,5,10", "w"), (Values{"1", "5", "10"}));
  EXPECT_EQ(parse_sweep_values(" fifo , reservoir ", "w"), (Values{"fifo", "reservoir"}));
  EXPECT_EQ(parse_sweep_values("0:1:lin5", "w"), (Values{"0", "0.25", "0.5", "0.75", "1"}));
  EXPECT_EQ(parse_sweep_values("1:100:log3", "w"), (Values{"1", "10", "100"}));
  EXPECT_EQ(parse_sweep_values("3", "w"), (Values{"3"}));
  const auto sixteen = parse_sweep_values("0.5:8:log16", "w");
  ASSERT_EQ(sixteen.size(), 16u);
  EXPECT_EQ(sixteen.front(), "0.5");
  EXPECT_EQ(sixteen.back(), "8");
  for (size_t i = 1; i < sixteen.size(); ++i)
    EXPECT_NEAR(std::stod(sixteen[i]) / std::stod(sixteen[i - 1]), std::pow(16.0, 1.0 / 15), 1e-3);
}

TEST(SweepValues, MalformedSpecsNameTheParameter) {
  const std::string where = "--param guard.threshold=x";
  test::expect_user_error([&] { parse_sweep_values("", where); }, where, "no values");
  test::expect_user_error([&] { parse_sweep_values("1,,2", where); }, where, "empty value");
  test::expect_user_error([&] { parse_sweep_values("0:8:log4", where); }, where, "above zero");
  test::expect_user_error([&] { parse_sweep_values("1:8:exp4", where); }, where, "linN or logN");
  test::expect_user_error([&] { parse_sweep_values("1:8:lin0", where); }, where, "integer");
  test::expect_user_error([&] { parse_sweep_values("a:8:lin4", where); }, where, "not a number");
  test::expect_user_error([&] { parse_sweep_values("1:8", where); }, where, "bad range");
  test::expect_user_error([&] { parse_sweep_param("guard.threshold"); }, "--param", "key.path=");
  test::expect_user_error([&] { parse_sweep_param("=1,2"); }, "--param", "empty");
}

const char* kScenario = R"(duration: 10
data: {kind: synthetic}
guard: {type: loss-threshold, threshold: 3}
sweep:
  guard.threshold: 1:4:lin4
  retrain.buffer.eviction: [fifo, reservoir]
  guard: [{type: none}, {type: loss-threshold, threshold: 2}]
)";

TEST(SweepBlock, IsReadWithTheScenarioButNotPartOfARun) {
  const auto s = parse_scenario(kScenario, "s.yaml", {}, builtin_plugins());
  ASSERT_EQ(s.sweep.size(), 3u);
  EXPECT_EQ(s.sweep[0].path, "guard.threshold");
  EXPECT_EQ(s.sweep[0].values, (Values{"1", "2", "3", "4"}));
  EXPECT_EQ(s.sweep[1].values, (Values{"fifo", "reservoir"}));
  EXPECT_EQ(s.sweep[2].values, (Values{"{type: none}", "{type: loss-threshold, threshold: 2}"}));
  EXPECT_EQ(s.resolved_yaml.find("sweep"), std::string::npos) << s.resolved_yaml;
}

TEST(SweepBlock, ErrorsNameTheLine) {
  test::expect_user_error(
      [] {
        parse_scenario("duration: 1\nsweep:\n  guard.threshold: 0:1:log3\n", "s.yaml", {},
                       builtin_plugins());
      },
      "s.yaml:3:20: sweep.guard.threshold", "above zero");
  test::expect_user_error(
      [] { parse_scenario("duration: 1\nsweep: [1, 2]\n", "s.yaml", {}, builtin_plugins()); },
      "s.yaml:2:8: sweep", "mapping of key path");
  test::expect_user_error(
      [] { parse_scenario("duration: 1\nsweep:\n  seed: []\n", "s.yaml", {}, builtin_plugins()); },
      "sweep.seed", "non-empty list");
}

TEST(SweepPlan, ProductInGridOrderWithOptionsReplacingTheBlock) {
  test::ScratchDir dir;
  test::write_text(dir.file("s.yaml"), kScenario);
  const auto plan =
      plan_sweep(dir.file("s.yaml"), {"guard.threshold=5,6", "seed=1,2"}, {}, builtin_plugins());
  ASSERT_EQ(plan.axes.size(), 4u);
  EXPECT_EQ(plan.axes[0].values, (Values{"5", "6"}));  // replaced in place
  EXPECT_EQ(plan.axes[3].path, "seed");                // appended
  ASSERT_EQ(plan.runs.size(), 2u * 2 * 2 * 2);
  EXPECT_EQ(plan.runs[0].values, (Values{"5", "fifo", "{type: none}", "1"}));
  EXPECT_EQ(plan.runs[1].values, (Values{"5", "fifo", "{type: none}", "2"}));  // last fastest
  EXPECT_EQ(plan.runs[15].values,
            (Values{"6", "reservoir", "{type: loss-threshold, threshold: 2}", "2"}));
  // The guard block replaces the threshold set before it: run 0 has no guard.
  EXPECT_NE(plan.runs[0].resolved_yaml.find("type: none"), std::string::npos);
  EXPECT_NE(plan.runs[3].resolved_yaml.find("threshold: 2"), std::string::npos);
}

// `~` in a list of values runs with the key as if absent: a sweep over `sanitize` stages can
// include the run with none (a stage list may not be empty).
TEST(SweepPlan, ANullValueRunsWithTheKeyAsIfAbsent) {
  test::ScratchDir dir;
  test::write_text(dir.file("s.yaml"),
                   "duration: 10\ndata: {kind: synthetic}\n"
                   "sweep:\n  sanitize:\n    - ~\n    - [{type: spectral}]\n");
  const auto plan = plan_sweep(dir.file("s.yaml"), {}, {}, builtin_plugins());
  ASSERT_EQ(plan.runs.size(), 2u);
  EXPECT_EQ(plan.runs[0].values, (Values{"~"}));
  EXPECT_EQ(plan.runs[0].resolved_yaml.find("spectral"), std::string::npos)
      << plan.runs[0].resolved_yaml;
  EXPECT_NE(plan.runs[1].resolved_yaml.find("type: spectral"), std::string::npos);
}

TEST(SweepPlan, EveryRunIsValidatedBeforeAnythingRuns) {
  test::ScratchDir dir;
  test::write_text(dir.file("s.yaml"),
                   "duration: 10\ndata: {kind: synthetic}\n"
                   "guard: {type: loss-threshold}\n");
  test::expect_user_error(
      [&] { plan_sweep(dir.file("s.yaml"), {"guard.threshold=1,-1"}, {}, builtin_plugins()); },
      "guard.threshold", "sweep run 1: guard.threshold=-1");
  test::expect_user_error(
      [&] { plan_sweep(dir.file("s.yaml"), {"guard.treshold=1"}, {}, builtin_plugins()); },
      "treshold", "unknown key");
  test::expect_user_error([&] { plan_sweep(dir.file("s.yaml"), {}, {}, builtin_plugins()); },
                          "s.yaml", "nothing to sweep");
  test::expect_user_error(
      [&] {
        plan_sweep(dir.file("s.yaml"), {"seed=1", "seed=2"}, {}, builtin_plugins());
      },
      "--param seed=2", "twice");
}

TEST(SweepSeeds, SeedsCountFromTheScenariosSeedAndComeLast) {
  test::ScratchDir dir;
  test::write_text(dir.file("s.yaml"), kScenario);  // seed 1 by default
  const auto plan =
      plan_sweep(dir.file("s.yaml"), {"guard.threshold=5,6"}, {}, builtin_plugins(), 3);
  ASSERT_EQ(plan.axes.size(), 4u);
  EXPECT_EQ(plan.axes[3].path, "seed");
  EXPECT_EQ(plan.axes[3].values, (Values{"1", "2", "3"}));
  EXPECT_EQ(plan.axes[3].where, "--seeds 3");
  EXPECT_EQ(plan.seeds, 3);
  ASSERT_EQ(plan.runs.size(), 2u * 2 * 2 * 3);
  EXPECT_EQ(plan.runs[0].values.back(), "1");  // a cell's seeds are neighbours: seed is fastest
  EXPECT_EQ(plan.runs[2].values.back(), "3");
  EXPECT_EQ(plan.runs[3].values,
            (Values{"5", "fifo", "{type: loss-threshold, threshold: 2}", "1"}));
  EXPECT_EQ(plan.runs[2].overrides.back(), "seed=3");
  EXPECT_NE(plan.runs[2].resolved_yaml.find("seed: 3"), std::string::npos);
  // From the seed in force: --set seed=10 gives 10, 11.
  const auto shifted = plan_sweep(dir.file("s.yaml"), {}, {"seed=10"}, builtin_plugins(), 2);
  EXPECT_EQ(shifted.axes.back().values, (Values{"10", "11"}));
  // The same grid twice: same ids, same values (merge and every MPI rank plan it again).
  const auto again =
      plan_sweep(dir.file("s.yaml"), {"guard.threshold=5,6"}, {}, builtin_plugins(), 3);
  ASSERT_EQ(again.runs.size(), plan.runs.size());
  for (size_t i = 0; i < plan.runs.size(); ++i)
    EXPECT_EQ(again.runs[i].overrides, plan.runs[i].overrides) << i;
}

TEST(SweepSeeds, TheBlocksSeedsKeyAndTheOptionReplacingIt) {
  test::ScratchDir dir;
  test::write_text(dir.file("s.yaml"),
                   "seed: 7\nduration: 10\ndata: {kind: synthetic}\nguard: {type: loss-threshold}\n"
                   "sweep:\n  seeds: 2\n"
                   "  guard.threshold: [1, 2]\n");
  const auto plan = plan_sweep(dir.file("s.yaml"), {}, {}, builtin_plugins());
  ASSERT_EQ(plan.axes.size(), 2u);
  EXPECT_EQ(plan.axes[0].path, "seed");  // where the block has it
  EXPECT_EQ(plan.axes[0].values, (Values{"7", "8"}));
  EXPECT_EQ(plan.runs[1].values, (Values{"7", "2"}));
  const auto option = plan_sweep(dir.file("s.yaml"), {}, {}, builtin_plugins(), 3);
  ASSERT_EQ(option.axes.size(), 2u);
  EXPECT_EQ(option.axes[0].values, (Values{"7", "8", "9"}));  // in place of the block's
  const auto param = plan_sweep(dir.file("s.yaml"), {"seed=1,5"}, {}, builtin_plugins());
  EXPECT_EQ(param.axes[0].values, (Values{"1", "5"}));  // --param replaces it as any axis
  test::expect_user_error(
      [&] { plan_sweep(dir.file("s.yaml"), {"seed=1,5"}, {}, builtin_plugins(), 2); }, "--seeds 2",
      "also given by --param seed=1,5");
}

TEST(SweepSeeds, BadCountsNameTheOptionOrTheKey) {
  for (const std::string bad : {"0", "-1", "abc", "1.5", "", "10001", "99999999999"})
    test::expect_user_error([&] { parse_seed_count(bad, "--seeds " + bad); }, "--seeds " + bad,
                            "whole number of seeds from 1 to 10000");
  EXPECT_EQ(parse_seed_count("10000", "w"), 10000);
  EXPECT_EQ(parse_seed_count(" 2 ", "w"), 2);
  test::expect_user_error([] { seed_axis(std::numeric_limits<int64_t>::max(), 2, "--seeds 2"); },
                          "--seeds 2", "would pass the largest seed");
  EXPECT_EQ(seed_axis(std::numeric_limits<int64_t>::max(), 1, "w").values.size(), 1u);
  const auto parse = [](const std::string& block) {
    parse_scenario("duration: 1\nsweep:\n" + block, "s.yaml", {}, builtin_plugins());
  };
  test::expect_user_error([&] { parse("  seeds: 0\n"); }, "s.yaml:3:10: sweep.seeds",
                          "whole number of seeds");
  test::expect_user_error([&] { parse("  seeds: [1, 2]\n"); }, "sweep.seeds", "e.g. seeds: 3");
  test::expect_user_error([&] { parse("  seed: [1, 2]\n  seeds: 2\n"); }, "sweep.seeds",
                          "given twice, by `seed` and by `seeds`");
}

TEST(SweepShard, EveryRunBelongsToExactlyOneShard) {
  const auto shard = parse_sweep_shard("2/3");
  EXPECT_EQ(shard.index, 2);
  EXPECT_EQ(shard.count, 3);
  EXPECT_EQ(shard.label(), "shard 2/3");
  for (int64_t run = 0; run < 10; ++run) {
    int owners = 0;
    for (int64_t i = 0; i < 3; ++i) owners += parse_sweep_shard(fmt::format("{}/3", i)).owns(run);
    EXPECT_EQ(owners, 1) << run;
    EXPECT_EQ(shard.owns(run), run % 3 == 2);
  }
  EXPECT_TRUE(SweepShard{}.owns(7));  // no sharding: every run
  test::expect_user_error([] { parse_sweep_shard("3/3"); }, "--shard 3/3", "i must be below N");
  test::expect_user_error([] { parse_sweep_shard("0/0"); }, "--shard 0/0", "at least 1");
  test::expect_user_error([] { parse_sweep_shard("a/2"); }, "--shard a/2", "whole number");
  test::expect_user_error([] { parse_sweep_shard("2"); }, "--shard 2", "expected i/N");
}

TEST(SweepParts, ManifestAndProvenanceRoundTripAndRejectOtherScenarios) {
  test::ScratchDir dir;
  EXPECT_FALSE(read_manifest(dir.path()));
  const SweepManifest manifest{"s.yaml", "duration: 1\n", {"seed=1,2"}, {"guard.type=none"}, 2, 0};
  write_manifest(dir.path(), manifest);
  ASSERT_TRUE(read_manifest(dir.path()));
  EXPECT_TRUE(*read_manifest(dir.path()) == manifest);
  SweepManifest other = manifest;
  other.params = {"seed=1,3"};
  EXPECT_FALSE(other == manifest);
  SweepManifest seeds = manifest;  // --seeds is part of what defines the grid
  seeds.seeds = 3;
  EXPECT_FALSE(seeds == manifest);
  write_manifest(dir.path(), seeds);
  EXPECT_TRUE(*read_manifest(dir.path()) == seeds);
  write_manifest(dir.path(), manifest);

  SweepRunSpec run;
  run.id = 4;
  run.resolved_yaml = "seed: 2\n";
  write_provenance(dir.path(), {4, 2, "rank 1/3", "node7", 12.5, scenario_fingerprint(run)});
  const auto read = read_provenance(dir.path(), run);
  ASSERT_TRUE(read);
  EXPECT_EQ(read->exit_code, 2);
  EXPECT_EQ(read->worker, "rank 1/3");
  EXPECT_EQ(read->host, "node7");
  EXPECT_EQ(read->seconds, 12.5);
  run.resolved_yaml = "seed: 3\n";  // the record of another scenario's run 4 does not count
  EXPECT_FALSE(read_provenance(dir.path(), run));
  test::write_text(run_part_path(dir.path(), 4, "json"), "{\"run\": 4");  // cut short
  EXPECT_FALSE(read_provenance(dir.path(), run));
  test::write_text(manifest_path(dir.path()), "[1]");
  test::expect_user_error([&] { read_manifest(dir.path()); }, "sweep.json", "not a sweep manifest");
}

TEST(SweepFile, SummaryAndRunsRoundTrip) {
  test::ScratchDir dir;
  {
    auto trace = TraceWriter::create_file(dir.file("run.h5"), {"a: 1\n", 5, "test"}, {});
    EventRow event;
    event.time = 2;
    trace->add_event(event);
    trace->close();
  }
  SweepHeader header{
      "s.yaml", "duration: 1\n", {"guard.threshold", "retrain.buffer.eviction"}, "test", {}};
  {
    SweepFileWriter writer(dir.file("sweep.h5"), header);
    writer.add_run(0, dir.file("run.h5"));
    writer.add_run(1, dir.file("run.h5"));
    writer.write_summary(
        {{"run", SummaryColumn::Kind::integer, {}, {0, 1}, {}},
         {"guard.threshold", SummaryColumn::Kind::real, {0.5, NAN}, {}, {}},
         {"retrain.buffer.eviction", SummaryColumn::Kind::text, {}, {}, {"fifo", "reservoir"}}});
    writer.close();
  }
  EXPECT_TRUE(is_sweep_file(dir.file("sweep.h5")));
  EXPECT_FALSE(is_sweep_file(dir.file("run.h5")));
  const auto contents = read_sweep_file(dir.file("sweep.h5"));
  EXPECT_TRUE(contents.complete);
  EXPECT_EQ(contents.header.parameters, header.parameters);
  EXPECT_EQ(contents.header.scenario, header.scenario);
  ASSERT_EQ(contents.summary.size(), 3u);
  EXPECT_EQ(contents.summary[0].integers, (std::vector<int64_t>{0, 1}));
  EXPECT_EQ(contents.summary[1].reals[0], 0.5);
  EXPECT_TRUE(std::isnan(contents.summary[1].reals[1]));
  EXPECT_EQ(contents.summary[2].texts, (Values{"fifo", "reservoir"}));
  const auto run = read_trace(dir.file("sweep.h5"), "/runs/1");
  EXPECT_EQ(run.metadata.seed, 5u);
  EXPECT_TRUE(run.complete);
  ASSERT_EQ(run.events.size(), 1u);
  EXPECT_EQ(run.events[0].time, 2.0);
  test::expect_user_error([&] { read_sweep_file(dir.file("run.h5")); }, "run.h5",
                          "not a sweep file");
  test::expect_user_error([&] { is_sweep_file(dir.file("missing.h5")); }, "missing.h5",
                          "no such file");
}

// Losses chosen so every rate and the AUC can be worked out by hand.
void write_losses(const std::string& path, const std::vector<float>& poison,
                  const std::vector<float>& clean, bool samples = true) {
  TraceOptions options;
  options.samples = samples;
  auto trace = TraceWriter::create_file(path, {"a: 1\n", 1, "test"}, options);
  std::vector<SampleRow> rows;
  for (float loss : poison) rows.push_back({0, 0, "p", 1, 0, 0, loss, 0, 0, 0});
  for (float loss : clean) rows.push_back({0, 0, "c", 0, 0, 0, loss, 0, 0, 0});
  trace->add_samples(rows.data(), rows.size());
  trace->close();
}

TEST(OfflineRoc, RatesAndAreaFromRecordedLosses) {
  test::ScratchDir dir;
  write_losses(dir.file("t.h5"), {5, 6, 7, 2}, {0.5f, 1, 1.5f, 6});
  const auto roc = offline_roc(TraceReader(dir.file("t.h5")), {0, 3, 6, 10});
  EXPECT_EQ(roc.poison, 4);
  EXPECT_EQ(roc.clean, 4);
  ASSERT_EQ(roc.points.size(), 4u);
  EXPECT_EQ(roc.points[0].true_positive_rate, 1.0);
  EXPECT_EQ(roc.points[0].false_positive_rate, 1.0);
  EXPECT_EQ(roc.points[1].true_positive_rate, 0.75);
  EXPECT_EQ(roc.points[1].false_positive_rate, 0.25);
  EXPECT_EQ(roc.points[2].poison_rejected, 1);  // loss 6 is not above 6: the guard accepts it
  EXPECT_EQ(roc.points[2].clean_rejected, 0);
  EXPECT_EQ(roc.points[3].true_positive_rate, 0.0);
  EXPECT_DOUBLE_EQ(roc.auc, 13.5 / 16);
}

TEST(OfflineRoc, NeedsTheSamplesTable) {
  test::ScratchDir dir;
  write_losses(dir.file("t.h5"), {}, {}, false);
  test::expect_user_error([&] { offline_roc(TraceReader(dir.file("t.h5")), {1}); }, "t.h5",
                          "no samples table");
}

}  // namespace
}  // namespace poisonsim
