// Outputs that survive: a second writer of a file in use fails before doing any work, a stop
// signal closes the trace (complete = 0, `stopped`) and exits 128 + signal, a run that fails
// leaves an existing output as it was, a stopped sweep stops its runs and waits for them, a
// sweep killed outright takes its runs with it, a second sweep of one output fails at once, and
// the rerun a sweep advises works as printed.
#include <chrono>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "pipeline/trace/trace_reader.h"
#include "tests/background_run.h"
#include "tests/test_support.h"

namespace poisonsim {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

const std::string kScenario =
    std::string(POISONSIM_SOURCE_DIR) + "/tests/scenarios/synthetic-small.yaml";

using test::BackgroundRun;
using test::eventually;
using test::file_bytes;
using test::processes_mentioning;
using test::single_error_line;

class OutputSafety : public ::testing::Test {
 protected:
  void SetUp() override { setenv("POISONSIM_CACHE_DIR", dir.file("cache").c_str(), 1); }
  test::ScratchDir dir;
};

TEST_F(OutputSafety, SecondWriterFailsAtOnceAndAStopSignalClosesTheTrace) {
  const auto trace = dir.file("run.h5");
  BackgroundRun first(
      "--log-level warn run " + kScenario + " -o " + trace + " --quiet --set duration=100000000",
      dir.file("first.log"));
  ASSERT_GT(first.pid(), 0);
  ASSERT_TRUE(eventually([&] { return fs::exists(trace + ".partial"); }));

  // Even with --force, the file in use is not touched, and the error comes before any work.
  const auto second = test::run_poisonsim("run " + kScenario + " -o " + trace +
                                          " --force --quiet --set duration=10");
  EXPECT_EQ(second.exit_code, 2) << second.output;
  EXPECT_TRUE(single_error_line(second.output)) << second.output;
  EXPECT_NE(second.output.find("another process is writing it"), std::string::npos)
      << second.output;
  EXPECT_FALSE(fs::exists(trace));

  std::this_thread::sleep_for(1s);  // into the simulation (a stop during loading works too)
  first.signal(SIGTERM);
  EXPECT_EQ(first.wait(), 128 + SIGTERM);
  const auto log = test::read_text(dir.file("first.log"));
  EXPECT_NE(log.find("stopped by SIGTERM"), std::string::npos) << log;
  ASSERT_TRUE(fs::exists(trace)) << log;
  EXPECT_FALSE(fs::exists(trace + ".partial"));
  TraceReader reader(trace);
  EXPECT_FALSE(reader.complete());
  EXPECT_NE(reader.metadata().stopped.find("SIGTERM at simulated time"), std::string::npos)
      << reader.metadata().stopped;
  const auto events = read_trace(trace).events;
  ASSERT_FALSE(events.empty());
  EXPECT_EQ(std::string(events.back().kind), "stopped");  // where "end" would be
}

// A stop signal is answered at once, even in a step that lasts seconds (here pretraining,
// before the first event), and the run stops at the next event boundary with a readable trace.
TEST_F(OutputSafety, AStopSignalIsAnsweredAtOnceAndTheRunStopsAtTheNextEvent) {
  const auto trace = dir.file("slow.h5");
  const auto log = dir.file("slow.log");
  BackgroundRun run("--log-level info run " + kScenario + " -o " + trace +
                        " --no-cache --set pretrain.epochs=1000",
                    log);
  ASSERT_GT(run.pid(), 0);
  ASSERT_TRUE(
      eventually([&] { return test::read_text(log).find("pretraining ") != std::string::npos; }));
  run.signal(SIGINT);
  const auto sent = std::chrono::steady_clock::now();
  ASSERT_TRUE(eventually(
      [&] {
        return test::read_text(log).find("poisonsim: SIGINT received: stopping") !=
               std::string::npos;
      },
      10s))
      << test::read_text(log);
  const std::chrono::duration<double> answered = std::chrono::steady_clock::now() - sent;
  // Still pretraining (about 5 s of it): the answer did not wait for the stop.
  EXPECT_TRUE(run.running()) << test::read_text(log);
  EXPECT_LT(answered.count(), 1.0);
  EXPECT_EQ(run.wait(), 128 + SIGINT);
  const auto text = test::read_text(log);
  EXPECT_NE(text.find("stopped by SIGINT at simulated time 0.000 s"), std::string::npos) << text;
  TraceReader reader(trace);
  EXPECT_FALSE(reader.complete());
  EXPECT_NE(reader.metadata().stopped.find("SIGINT at simulated time 0.000 s of 100"),
            std::string::npos)
      << reader.metadata().stopped;
  const auto events = read_trace(trace).events;
  ASSERT_FALSE(events.empty());
  EXPECT_EQ(std::string(events.back().kind), "stopped");
}

TEST_F(OutputSafety, ARunThatFailsLeavesTheExistingTraceAsItWas) {
  const auto trace = dir.file("run.h5");
  const auto first = test::run_poisonsim("--log-level warn run " + kScenario + " -o " + trace +
                                         " --quiet --set duration=40");
  ASSERT_EQ(first.exit_code, 0) << first.output;
  const auto before = file_bytes(trace);
  // A file-size limit stops the replacement mid-run: one error line, no SIGXFSZ death.
  const auto failed =
      test::run_command("ulimit -f 200; " + test::poisonsim_binary() + " --log-level warn run " +
                        kScenario + " -o " + trace + " --force --quiet --set duration=100000000");
  EXPECT_EQ(failed.exit_code, 2) << failed.output;
  EXPECT_TRUE(single_error_line(failed.output)) << failed.output;
  EXPECT_NE(failed.output.find("File too large"), std::string::npos) << failed.output;
  EXPECT_EQ(file_bytes(trace), before);
}

TEST_F(OutputSafety, AStoppedSweepStopsItsRunsAndWaitsForThem) {
  const auto sweep = dir.file("sweep.h5");
  const auto parts = sweep + ".parts";
  BackgroundRun run("--log-level warn sweep " + kScenario + " -o " + sweep +
                        " --jobs 2 --quiet --param guard.threshold=1,2,3,4 "
                        "--set duration=100000000",
                    dir.file("sweep.log"));
  ASSERT_GT(run.pid(), 0);
  ASSERT_TRUE(eventually([&] {
    return fs::exists(parts + "/run-0.h5.partial") && fs::exists(parts + "/run-1.h5.partial");
  }));
  std::this_thread::sleep_for(1s);
  run.signal(SIGINT);
  EXPECT_EQ(run.wait(), 128 + SIGINT);
  const auto log = test::read_text(dir.file("sweep.log"));
  EXPECT_NE(log.find("sweep stopped by SIGINT: 0 of 4 runs finished"), std::string::npos) << log;
  EXPECT_EQ(processes_mentioning(parts), 0) << "runs left running after the sweep ended";
  EXPECT_FALSE(fs::exists(sweep));
  // The stopped runs closed their traces, each saying why.
  for (const char* id : {"0", "1"}) {
    TraceReader reader(parts + "/run-" + id + ".h5");
    EXPECT_NE(reader.metadata().stopped.find("SIGINT"), std::string::npos) << id;
  }
}

// The sweep command of the tests below: two runs, `jobs` at a time; `durations` its grid.
std::string sweep_arguments(const std::string& sweep, const std::string& durations, int jobs = 1) {
  return "--log-level warn sweep " + kScenario + " -o " + sweep + " --jobs " +
         std::to_string(jobs) + " --quiet --json " + sweep + ".json --param duration=" + durations;
}

TEST_F(OutputSafety, ASweepKilledOutrightTakesItsRunsWithIt) {
  const auto sweep = dir.file("sweep.h5");
  const auto parts = sweep + ".parts";
  BackgroundRun run(sweep_arguments(sweep, "100000000,100000000", 2), dir.file("sweep.log"));
  ASSERT_GT(run.pid(), 0);
  ASSERT_TRUE(eventually([&] {
    return fs::exists(parts + "/run-0.h5.partial") && fs::exists(parts + "/run-1.h5.partial");
  }));
  run.signal(SIGKILL);
  EXPECT_EQ(run.wait(), 128 + SIGKILL);
  // The kernel sends its runs SIGTERM: they close their traces and end (they would run forever).
  EXPECT_TRUE(eventually([&] { return processes_mentioning(parts) == 0; }, 60s))
      << "runs left running after their sweep was killed";
  for (const char* id : {"0", "1"}) {
    TraceReader reader(parts + "/run-" + id + ".h5");
    EXPECT_NE(reader.metadata().stopped.find("SIGTERM"), std::string::npos) << id;
  }
}

TEST_F(OutputSafety, TheCommandOfASweepKilledOutrightFinishesIt) {
  const auto sweep = dir.file("sweep.h5");
  const auto parts = sweep + ".parts";
  // Run 0 is short; run 1 (two seconds) has just started when the sweep is killed.
  const auto arguments = sweep_arguments(sweep, "40,2000");
  BackgroundRun run(arguments, dir.file("sweep.log"));
  ASSERT_GT(run.pid(), 0);
  ASSERT_TRUE(eventually([&] { return fs::exists(parts + "/run-1.h5.partial"); }));
  run.signal(SIGKILL);
  EXPECT_EQ(run.wait(), 128 + SIGKILL);
  ASSERT_TRUE(eventually([&] { return processes_mentioning(parts) == 0; }, 60s));

  // The advice of a stopped sweep: "the same command again runs only the rest". Run 1 was
  // stopped with its sweep (an orphan would have finished it: 2 reused).
  const auto again = test::run_poisonsim(arguments);
  ASSERT_EQ(again.exit_code, 0) << again.output;
  const auto outcome = nlohmann::json::parse(file_bytes(sweep + ".json"));
  EXPECT_EQ(outcome["reused"], 1) << outcome.dump();
  EXPECT_EQ(outcome["failed"], 0) << outcome.dump();
  EXPECT_FALSE(fs::exists(parts));
}

TEST_F(OutputSafety, ASecondSweepOfTheSameOutputFailsAtOnce) {
  const auto sweep = dir.file("sweep.h5");
  const auto arguments = sweep_arguments(sweep, "100000000,100000000");
  BackgroundRun first(arguments, dir.file("first.log"));
  ASSERT_GT(first.pid(), 0);
  ASSERT_TRUE(eventually([&] { return fs::exists(sweep + ".parts/run-0.h5.partial"); }));

  const auto second = test::run_poisonsim(arguments);
  EXPECT_EQ(second.exit_code, 2) << second.output;
  EXPECT_TRUE(single_error_line(second.output)) << second.output;
  EXPECT_EQ(second.output.rfind("error: " + sweep + ": another sweep of it is running", 0), 0u)
      << second.output;
  EXPECT_TRUE(first.running()) << "the second sweep disturbed the first";
  first.signal(SIGINT);
  EXPECT_EQ(first.wait(), 128 + SIGINT);
}

TEST_F(OutputSafety, TheRerunThatFailedRunsAdviseWorksAsPrinted) {
  const auto sweep = dir.file("sweep.h5");
  const auto parts = sweep + ".parts";
  const auto arguments = sweep_arguments(sweep, "40,50");
  // A directory where run 1's trace goes makes that run fail (exit 2) until it is removed.
  fs::create_directories(parts + "/run-1.h5");
  const auto failed = test::run_poisonsim(arguments);
  EXPECT_EQ(failed.exit_code, 2) << failed.output;
  EXPECT_NE(failed.output.find("rerunning the same command reuses the runs that finished and "
                               "replaces this sweep file"),
            std::string::npos)
      << failed.output;
  ASSERT_TRUE(fs::exists(sweep));

  fs::remove(parts + "/run-1.h5");
  const auto again = test::run_poisonsim(arguments);  // no --force: the advice as printed
  ASSERT_EQ(again.exit_code, 0) << again.output;
  const auto outcome = nlohmann::json::parse(file_bytes(sweep + ".json"));
  EXPECT_EQ(outcome["reused"], 1) << outcome.dump();
  EXPECT_EQ(outcome["failed"], 0) << outcome.dump();

  // Another sweep to that output still needs --force.
  const auto other = test::run_poisonsim(sweep_arguments(sweep, "40,60"));
  EXPECT_EQ(other.exit_code, 2) << other.output;
  EXPECT_NE(other.output.find("exists already"), std::string::npos) << other.output;
}

}  // namespace
}  // namespace poisonsim
