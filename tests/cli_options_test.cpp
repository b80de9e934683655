// The options every verb shares: -q / -v, --seed on run and sweep, --json for the summaries of
// run and sweep (- for stdout, which then carries only the JSON), and the run's wall time.
#include <chrono>
#include <string>

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "pipeline/trace/trace_reader.h"
#include "tests/test_support.h"

namespace poisonsim {
namespace {

const std::string kScenario =
    std::string(POISONSIM_SOURCE_DIR) + "/tests/scenarios/synthetic-small.yaml";

class CliOptions : public ::testing::Test {
 protected:
  void SetUp() override { setenv("POISONSIM_CACHE_DIR", dir.file("cache").c_str(), 1); }
  test::ScratchDir dir;
};

TEST_F(CliOptions, RunTakesASeedAndWritesItsSummaryAsJsonToStdout) {
  const auto trace = dir.file("seeded.h5");
  // -q after the verb: global options may follow it.
  const auto run = test::run_command(test::poisonsim_binary() + " run " + kScenario + " -o " +
                                     trace + " --seed 11 --json - -q 2>/dev/null");
  ASSERT_EQ(run.exit_code, 0) << run.output;
  const auto summary = nlohmann::json::parse(run.output);  // nothing else on stdout
  EXPECT_EQ(summary["trace"], trace);
  EXPECT_EQ(summary["simulated_seconds"], 100);
  EXPECT_GT(summary["sources"]["public"]["samples"].get<int64_t>(), 0);
  EXPECT_EQ(summary["sources"]["flipper"]["kind"], "attacker");
  EXPECT_GT(summary["retrains"]["total"].get<int64_t>(), 0);
  EXPECT_GT(summary["accuracy"]["last"].get<double>(), 0);
  EXPECT_EQ(TraceReader(trace).metadata().seed, 11u);
  // Every JSON output says where it came from.
  EXPECT_FALSE(summary["provenance"]["poisonsim_version"].get<std::string>().empty());
  EXPECT_FALSE(summary["provenance"]["blas_kernel"].is_null());
}

// The run's wall time is its whole time, pretraining included, and the stages it prints (with
// `other`) add up to it: each is read off the clock on its own (sim/util/stage_times.h).
TEST_F(CliOptions, RunWallTimeIsWhatItsStagesAddUpTo) {
  const auto trace = dir.file("timed.h5");
  const auto json = dir.file("timed.json");
  const auto started = std::chrono::steady_clock::now();
  const auto run = test::run_poisonsim("--log-level warn run " + kScenario + " -o " + trace +
                                       " --no-cache --set pretrain.epochs=100 --json " + json);
  const std::chrono::duration<double> process = std::chrono::steady_clock::now() - started;
  ASSERT_EQ(run.exit_code, 0) << run.output;
  const auto summary = nlohmann::json::parse(test::read_text(json));
  const double wall = summary["wall_seconds"].get<double>();
  double sum = 0;
  for (const auto& [stage, seconds] : summary["stage_seconds"].items())
    sum += seconds.get<double>();
  // Pretraining (a few tenths of a second) was left out of the wall time before.
  EXPECT_GT(summary["stage_seconds"]["pretraining"].get<double>(), 0.1) << summary.dump();
  EXPECT_TRUE(summary["stage_seconds"].contains("other")) << summary.dump();
  EXPECT_NEAR(sum, wall, 0.01) << summary.dump();
  EXPECT_LT(wall, process.count());
  EXPECT_NE(run.output.find(fmt::format("{:.1f} s wall)", wall)), std::string::npos) << run.output;
  EXPECT_NE(
      run.output.find(fmt::format("wall seconds by stage, adding up to the {:.1f}: other ", wall)),
      std::string::npos)
      << run.output;
}

TEST_F(CliOptions, PoisonSetsModelsAndSweepFilesRecordTheirProvenance) {
  const auto model = dir.file("model.pt");
  const auto poison = dir.file("poison.h5");
  const auto sweep = dir.file("sweep.h5");
  ASSERT_EQ(test::run_poisonsim("-q train --data synthetic --epochs 1 --validation 200 -o " + model).exit_code, 0);
  ASSERT_EQ(test::run_poisonsim("-q attack --scenario " + kScenario +
                                " --method label-flip --n 8 -o " + poison)
                .exit_code,
            0);
  ASSERT_EQ(test::run_poisonsim("-q sweep " + kScenario + " -o " + sweep +
                                " --param guard.threshold=2 --set duration=10")
                .exit_code,
            0);
  const auto read = test::run_command(
      "/usr/bin/python3 -c \"import h5py, json, sys\n"
      "for p in sys.argv[1:3]: print(json.loads(h5py.File(p).attrs['provenance'])"
      "['poisonsim_version'])\n"
      "print('model', b'poisonsim_provenance' in open(sys.argv[3], 'rb').read())\" " +
      poison + " " + sweep + " " + model);
  EXPECT_EQ(read.exit_code, 0) << read.output;
  EXPECT_NE(read.output.find("0.3"), std::string::npos) << read.output;
  EXPECT_NE(read.output.find("model True"), std::string::npos) << read.output;
}

TEST_F(CliOptions, QuietLeavesOnlyWarningsAndVerboseAddsDebugLines) {
  const auto base = "run " + kScenario + " --set duration=20 --force -o ";
  const auto quiet = test::run_poisonsim("-q " + base + dir.file("q.h5"));
  ASSERT_EQ(quiet.exit_code, 0) << quiet.output;
  EXPECT_EQ(quiet.output.find("] info "), std::string::npos) << quiet.output;
  EXPECT_EQ(quiet.output.find("simulate:"), std::string::npos) << "a progress line";
  EXPECT_EQ(quiet.output.find("pretrain:"), std::string::npos) << "a progress line";
  const auto verbose = test::run_poisonsim("-v " + base + dir.file("v.h5"));
  ASSERT_EQ(verbose.exit_code, 0) << verbose.output;
  EXPECT_NE(verbose.output.find("] debug "), std::string::npos) << verbose.output;
  const auto both = test::run_poisonsim("-q -v " + base + dir.file("qv.h5"));
  EXPECT_EQ(both.exit_code, 2) << both.output;
}

TEST_F(CliOptions, SweepTakesABaseSeedAndWritesItsOutcomeAsJson) {
  const auto sweep = dir.file("sweep.h5");
  const auto json = dir.file("sweep.json");
  const auto run = test::run_poisonsim("-q sweep " + kScenario + " -o " + sweep +
                                       " --seed 21 --seeds 2 --set duration=20 --json " + json);
  ASSERT_EQ(run.exit_code, 0) << run.output;
  const auto outcome = nlohmann::json::parse(test::read_text(json));
  EXPECT_EQ(outcome["sweep"], sweep);
  EXPECT_EQ(outcome["runs"], 2);
  EXPECT_EQ(outcome["failed"], 0);
  const auto listing = test::run_poisonsim("-q sweep " + kScenario + " --seed 21 --seeds 2 "
                                           "--dry-run");
  EXPECT_NE(listing.output.find("seed=21"), std::string::npos) << listing.output;
  EXPECT_NE(listing.output.find("seed=22"), std::string::npos) << listing.output;
}

}  // namespace
}  // namespace poisonsim
