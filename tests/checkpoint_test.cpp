// Checkpoint and resume (`run --checkpoint-every`, `poisonsim resume`): a run killed with
// SIGKILL between two checkpoints, or stopped by a signal, and resumed, writes the same trace,
// table by table, as a run that was never interrupted; checkpointing itself changes nothing.
#include <filesystem>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "pipeline/trace/checkpoint_file.h"
#include "pipeline/trace/trace_reader.h"
#include "tests/background_run.h"
#include "tests/test_support.h"

namespace poisonsim {
namespace {

namespace fs = std::filesystem;
using test::BackgroundRun;
using test::eventually;
using test::single_error_line;

const std::string kScenario =
    std::string(POISONSIM_SOURCE_DIR) + "/tests/scenarios/checkpoint-stateful.yaml";
// Long enough (~4 s here) that a kill lands between checkpoints, not after the end.
const std::string kDuration = " --set duration=1500";

// Every table byte for byte (rows are packed structs of numbers and fixed-length names).
template <class Row>
bool same_rows(const std::vector<Row>& a, const std::vector<Row>& b) {
  return a.size() == b.size() &&
         (a.empty() || std::memcmp(a.data(), b.data(), a.size() * sizeof(Row)) == 0);
}

void expect_same_tables(const std::string& expected_path, const std::string& actual_path) {
  const TraceContents expected = read_trace(expected_path);
  const TraceContents actual = read_trace(actual_path);
  EXPECT_TRUE(actual.complete);
  EXPECT_TRUE(same_rows(expected.events, actual.events))
      << expected.events.size() << " vs " << actual.events.size() << " events";
  EXPECT_TRUE(same_rows(expected.samples, actual.samples))
      << expected.samples.size() << " vs " << actual.samples.size() << " samples";
  EXPECT_TRUE(same_rows(expected.retrains, actual.retrains)) << "retrains";
  EXPECT_TRUE(same_rows(expected.evaluations, actual.evaluations)) << "evaluations";
  EXPECT_TRUE(same_rows(expected.defense, actual.defense))
      << expected.defense.size() << " vs " << actual.defense.size() << " defense rows";
}

// `poisonsim run` of the test scenario into `trace`, quiet, with `extra` options.
std::string run_arguments(const std::string& trace, const std::string& extra) {
  return "--log-level warn run " + kScenario + " -o " + trace + " --quiet" + kDuration + " " +
         extra;
}

// Simulated time of the checkpoint at `path`, or -1 while there is none.
double checkpoint_time(const std::string& path) {
  if (!fs::exists(path)) return -1;
  return read_checkpoint_file(path).time;
}

// Simulated times of the checkpoints a run or resume logged at level info, in order.
std::vector<double> logged_checkpoint_times(const std::string& log) {
  static const std::string kLine = "checkpoint at simulated time ";
  std::vector<double> times;
  for (size_t at = log.find(kLine); at != std::string::npos; at = log.find(kLine, at + 1))
    times.push_back(std::stod(log.substr(at + kLine.size())));
  return times;
}

class Checkpoints : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new test::ScratchDir;
    setenv("POISONSIM_CACHE_DIR", dir_->file("cache").c_str(), 1);
    const auto run = test::run_poisonsim(run_arguments(reference(), ""));
    ASSERT_EQ(run.exit_code, 0) << run.output;
  }
  static void TearDownTestSuite() {
    delete dir_;
    dir_ = nullptr;
  }
  static std::string reference() { return dir_->file("uninterrupted.h5"); }
  test::ScratchDir dir;

 private:
  static test::ScratchDir* dir_;
};
test::ScratchDir* Checkpoints::dir_ = nullptr;

TEST_F(Checkpoints, ARunKilledBetweenCheckpointsResumesToTheUninterruptedTrace) {
  const auto trace = dir.file("killed.h5");
  const auto checkpoint = dir.file("killed.checkpoint");
  BackgroundRun run(run_arguments(trace, "--checkpoint-every 100 --checkpoint " + checkpoint),
                    dir.file("run.log"));
  ASSERT_GT(run.pid(), 0);
  // Past the second checkpoint, so the kill lands after a checkpoint replaced another.
  ASSERT_TRUE(eventually([&] { return checkpoint_time(checkpoint) >= 200; }))
      << test::read_text(dir.file("run.log"));
  run.signal(SIGKILL);
  ASSERT_EQ(run.wait(), 128 + SIGKILL) << "the run ended before the kill";
  const double saved_at = checkpoint_time(checkpoint);
  EXPECT_LT(saved_at, 1500);
  EXPECT_FALSE(fs::exists(trace));  // killed: only its partial trace exists

  const auto resumed = test::run_poisonsim("--log-level warn resume " + checkpoint + " --quiet");
  ASSERT_EQ(resumed.exit_code, 0) << resumed.output;
  expect_same_tables(reference(), trace);
  // The resumed run went on checkpointing on the same schedule.
  EXPECT_GT(checkpoint_time(checkpoint), saved_at);
}

// A finished run's checkpoint is replaced by the record that it finished: resuming it says so,
// in one line, and leaves the final trace as it was.
TEST_F(Checkpoints, CheckpointingDoesNotChangeTheRunAndItsEndIsRecorded) {
  const auto trace = dir.file("checkpointed.h5");
  const auto checkpoint = trace + ".checkpoint";
  const auto run = test::run_poisonsim(run_arguments(trace, "--checkpoint-every 70"));
  ASSERT_EQ(run.exit_code, 0) << run.output;
  expect_same_tables(reference(), trace);
  const CheckpointFile record = read_checkpoint_file(checkpoint);
  EXPECT_TRUE(record.finished());
  EXPECT_EQ(record.time, 1500);
  EXPECT_EQ(record.trace_output, trace);
  EXPECT_LT(fs::file_size(checkpoint), fs::file_size(trace));  // no state, no trace copy

  const auto before = test::file_bytes(trace);
  const auto resumed = test::run_poisonsim("resume " + checkpoint);
  EXPECT_EQ(resumed.exit_code, 2) << resumed.output;
  EXPECT_TRUE(single_error_line(resumed.output)) << resumed.output;
  EXPECT_NE(resumed.output.find(checkpoint +
                                ": the run finished at simulated time 1500 s; its "
                                "trace " +
                                trace + " is final"),
            std::string::npos)
      << resumed.output;
  EXPECT_EQ(test::file_bytes(trace), before);
  EXPECT_FALSE(fs::exists(trace + ".partial"));
}

// Checkpoints fall on the multiples of the interval, in a resumed run too: the stop's checkpoint
// is off that grid, and the resumed run's next one is the grid's next, not the stop's time + 70.
TEST_F(Checkpoints, AResumedRunCheckpointsOnTheUninterruptedRunsGrid) {
  const auto trace = dir.file("grid.h5");
  const auto checkpoint = dir.file("grid.checkpoint");
  const std::string options = kDuration + " --checkpoint-every 70 --checkpoint " + checkpoint;
  BackgroundRun run("--log-level info run " + kScenario + " -o " + trace + options,
                    dir.file("grid.log"));
  ASSERT_GT(run.pid(), 0);
  ASSERT_TRUE(eventually([&] { return checkpoint_time(checkpoint) >= 70; }))
      << test::read_text(dir.file("grid.log"));
  run.signal(SIGINT);
  ASSERT_EQ(run.wait(), 128 + SIGINT) << test::read_text(dir.file("grid.log"));
  const double stopped_at = checkpoint_time(checkpoint);
  const auto before_stop = logged_checkpoint_times(test::read_text(dir.file("grid.log")));
  ASSERT_FALSE(before_stop.empty());
  EXPECT_EQ(before_stop.back(), std::stod(fmt::format("{:.3f}", stopped_at)));  // the stop's

  const auto resumed = test::run_poisonsim("--log-level info resume " + checkpoint);
  ASSERT_EQ(resumed.exit_code, 0) << resumed.output;
  expect_same_tables(reference(), trace);
  // An uninterrupted run checkpoints at 70, 140, ..., 1470: the resumed one at those after the
  // stop, and the run before the stop at those before it.
  std::vector<double> grid_after, grid_before, on_stop;
  for (int k = 1; 70 * k < 1500; ++k)
    (70 * k > stopped_at   ? grid_after
     : 70 * k < stopped_at ? grid_before
                           : on_stop)
        .push_back(70 * k);
  EXPECT_EQ(logged_checkpoint_times(resumed.output), grid_after) << "stopped at " << stopped_at;
  EXPECT_EQ(std::vector<double>(before_stop.begin(), before_stop.end() - 1), grid_before);
}

TEST_F(Checkpoints, AStoppedRunLeavesACheckpointThatResumesIntoItsOwnTrace) {
  const auto trace = dir.file("stopped.h5");
  const auto checkpoint = dir.file("stopped.checkpoint");
  BackgroundRun run(run_arguments(trace, "--checkpoint " + checkpoint), dir.file("run.log"));
  ASSERT_GT(run.pid(), 0);
  ASSERT_TRUE(eventually([&] { return fs::exists(trace + ".partial"); }));
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));
  run.signal(SIGINT);
  ASSERT_EQ(run.wait(), 128 + SIGINT) << test::read_text(dir.file("run.log"));
  const auto log = test::read_text(dir.file("run.log"));
  EXPECT_NE(log.find("continue with: " + test::poisonsim_binary() + " resume " + checkpoint),
            std::string::npos)
      << log;
  ASSERT_FALSE(TraceReader(trace).complete());
  const double stopped_at = checkpoint_time(checkpoint);
  EXPECT_GT(stopped_at, 0);
  EXPECT_LT(stopped_at, 1500);

  // The stopped run's own trace (complete = 0) is replaced without --force.
  const auto resumed = test::run_poisonsim("--log-level warn resume " + checkpoint + " --quiet");
  ASSERT_EQ(resumed.exit_code, 0) << resumed.output;
  expect_same_tables(reference(), trace);

  // Finished now: its checkpoint says so.
  const auto again = test::run_poisonsim("--log-level warn resume " + checkpoint + " --quiet");
  EXPECT_EQ(again.exit_code, 2) << again.output;
  EXPECT_TRUE(single_error_line(again.output)) << again.output;
  EXPECT_NE(again.output.find("the run finished at simulated time 1500 s"), std::string::npos)
      << again.output;
}

// A checkpoint whose run finished without recording it (killed between its trace's rename and
// the record): its finished trace is not replayed over without --force or another -o.
TEST_F(Checkpoints, ResumeKeepsAFinishedTraceAtItsOutput) {
  const auto trace = dir.file("kept.h5");
  const auto checkpoint = dir.file("kept.checkpoint");
  BackgroundRun run(run_arguments(trace, "--checkpoint-every 100 --checkpoint " + checkpoint),
                    dir.file("kept.log"));
  ASSERT_TRUE(eventually([&] { return checkpoint_time(checkpoint) >= 100; }));
  run.signal(SIGKILL);
  ASSERT_EQ(run.wait(), 128 + SIGKILL) << "the run ended before the kill";
  fs::copy_file(reference(), trace);
  const auto before = test::file_bytes(trace);
  const auto resumed = test::run_poisonsim("--log-level warn resume " + checkpoint + " --quiet");
  EXPECT_EQ(resumed.exit_code, 2) << resumed.output;
  EXPECT_TRUE(single_error_line(resumed.output)) << resumed.output;
  EXPECT_NE(resumed.output.find(trace + ": exists and is a finished trace (complete = 1)"),
            std::string::npos)
      << resumed.output;
  EXPECT_EQ(test::file_bytes(trace), before);
}

TEST_F(Checkpoints, ResumeRefusesWhatIsNotAGoodCheckpoint) {
  // A trace is not a checkpoint.
  auto result = test::run_poisonsim("resume " + reference());
  EXPECT_EQ(result.exit_code, 2) << result.output;
  EXPECT_TRUE(single_error_line(result.output)) << result.output;
  EXPECT_NE(result.output.find("not a checkpoint"), std::string::npos) << result.output;

  // A checkpoint whose state is cut short (of a killed run: a finished one records its end).
  const auto trace = dir.file("short.h5");
  {
    BackgroundRun run(run_arguments(trace, "--checkpoint-every 50"), dir.file("short.log"));
    ASSERT_TRUE(eventually([&] { return checkpoint_time(trace + ".checkpoint") >= 50; }));
    run.signal(SIGKILL);
    ASSERT_EQ(run.wait(), 128 + SIGKILL) << "the run ended before the kill";
  }
  CheckpointFile checkpoint = read_checkpoint_file(trace + ".checkpoint");
  checkpoint.state.resize(checkpoint.state.size() / 2);
  const auto cut = dir.file("cut.checkpoint");
  write_checkpoint_file(cut, checkpoint);
  result = test::run_poisonsim("--log-level warn resume " + cut + " -o " + dir.file("cut.h5"));
  EXPECT_EQ(result.exit_code, 2) << result.output;
  EXPECT_TRUE(single_error_line(result.output)) << result.output;
  EXPECT_NE(result.output.find(cut), std::string::npos) << result.output;
  EXPECT_NE(result.output.find("truncated or corrupt"), std::string::npos) << result.output;

  // One byte of the embedded scenario edited (its seed): refused before anything is restored,
  // not resumed into another run (pipeline/trace/checkpoint_digest.h).
  auto bytes = test::file_bytes(trace + ".checkpoint");
  const auto& yaml = checkpoint.scenario_yaml;
  const size_t seed_line = yaml.rfind("seed: ", 0) == 0 ? 0 : yaml.find("\nseed: ") + 1;
  ASSERT_EQ(yaml.compare(seed_line, 6, "seed: "), 0) << yaml;
  const auto at = bytes.find(yaml.substr(seed_line, yaml.find('\n', seed_line) - seed_line + 1));
  ASSERT_NE(at, std::string::npos);
  bytes[at + 6] = bytes[at + 6] == '6' ? '7' : '6';  // the seed's first digit
  const auto edited = dir.file("edited.checkpoint");
  test::write_text(edited, bytes);
  result = test::run_poisonsim("--log-level warn resume " + edited + " -o " + dir.file("e.h5"));
  EXPECT_EQ(result.exit_code, 2) << result.output;
  EXPECT_TRUE(single_error_line(result.output)) << result.output;
  EXPECT_NE(result.output.find("its scenario does not match the digest"), std::string::npos)
      << result.output;
  EXPECT_FALSE(std::filesystem::exists(dir.file("e.h5")));

  // An existing checkpoint is not replaced by a new run without --force.
  result = test::run_poisonsim("run " + kScenario + " -o " + dir.file("other.h5") +
                               " --checkpoint " + trace + ".checkpoint");
  EXPECT_EQ(result.exit_code, 2) << result.output;
  EXPECT_NE(result.output.find("the checkpoint file exists"), std::string::npos) << result.output;
}

}  // namespace
}  // namespace poisonsim
