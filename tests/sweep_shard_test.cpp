// `poisonsim sweep --shard i/N` and `poisonsim merge`: shards give the file one process gives,
// a killed shard run again redoes only its unfinished runs, and bad input is one error line.
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>

#include <chrono>
#include <filesystem>
#include <set>
#include <thread>

#include <gtest/gtest.h>

#include "pipeline/trace/sweep_file.h"
#include "tests/background_run.h"
#include "tests/sweep_test_support.h"
#include "tests/test_support.h"
#include "tests/trace_row_fields.h"

extern char** environ;

namespace poisonsim {
namespace {

namespace fs = std::filesystem;
using test::column;
using test::poisonsim;
using test::small_scenario;
using SweepShards = test::SweepCliTest;

using test::expect_one_error;

// Six runs whose metrics differ (two thresholds x three seeds, 1 to 3: --seeds counts from the
// scenario's seed). Every shard and the merge plan the seed axis again from --seeds.
const std::string kGrid = " --param guard.threshold=1,8 --seeds 3 --set seed=1 --quiet ";

TEST_F(SweepShards, ThreeShardsAndMergeGiveTheFileOfOneProcess) {
  const std::string sweep = "sweep " + small_scenario() + kGrid;
  auto one = poisonsim(sweep + "--jobs 2 -o " + dir.file("one.h5"));
  ASSERT_EQ(one.exit_code, 0) << one.output;

  const std::string sharded = sweep + "--jobs 2 -o " + dir.file("s.h5") + " --shard ";
  for (int shard = 0; shard < 2; ++shard) {
    auto result = poisonsim(sharded + std::to_string(shard) + "/3");
    ASSERT_EQ(result.exit_code, 0) << result.output;
    EXPECT_NE(result.output.find("shard " + std::to_string(shard) + "/3: 2 runs"),
              std::string::npos)
        << result.output;
  }
  EXPECT_FALSE(fs::exists(dir.file("s.h5")));  // shards write parts only
  // Shard 2/3 has not run: its runs 2 and 5 are missing.
  expect_one_error(poisonsim("merge " + dir.file("s.h5")),
                   "2 of 6 runs have no finished part: run 2, 5 (");
  ASSERT_EQ(poisonsim(sharded + "2/3").exit_code, 0);
  auto merged = poisonsim("merge " + dir.file("s.h5") + " " + dir.file("s.h5.parts"));
  ASSERT_EQ(merged.exit_code, 0) << merged.output;
  EXPECT_NE(merged.output.find("true_positive_rate"), std::string::npos) << merged.output;

  const auto a = read_sweep_file(dir.file("one.h5")), b = read_sweep_file(dir.file("s.h5"));
  EXPECT_TRUE(b.complete);
  EXPECT_EQ(a.header.parameters, b.header.parameters);
  EXPECT_EQ(a.header.scenario, b.header.scenario);
  ASSERT_EQ(column(a, "run").integers.size(), 6u);
  EXPECT_EQ(column(a, "seed").reals, (std::vector<double>{1, 2, 3, 1, 2, 3}));
  test::expect_same_summary(a, b);
  ASSERT_FALSE(a.aggregate.empty());  // means over seeds, the same from the shards' parts
  test::expect_same_table(a.aggregate, b.aggregate);
  for (int run = 0; run < 6; ++run) {
    const std::string group = "/runs/" + std::to_string(run);
    test::expect_same_trace(dir.file("one.h5"), dir.file("s.h5"), group, group);
  }
  // Who ran what: shard id % 3, on this host, for a measured time.
  const auto& worker = column(b.provenance, "worker").texts;
  ASSERT_EQ(worker.size(), 6u);
  for (size_t run = 0; run < 6; ++run) {
    EXPECT_EQ(worker[run], "shard " + std::to_string(run % 3) + "/3");
    EXPECT_FALSE(column(b.provenance, "host").texts[run].empty());
    EXPECT_GT(column(b.provenance, "seconds").reals[run], 0);
    EXPECT_EQ(column(a.provenance, "worker").texts[run], "local");
  }
  expect_one_error(poisonsim("merge " + dir.file("s.h5")), "exists already");
}

// Starts poisonsim in its own process group, so the test can kill it with its runs, as a batch
// system ends a job.
pid_t start_in_own_group(const std::vector<std::string>& arguments, const std::string& log) {
  std::vector<std::string> argv{test::poisonsim_binary()};
  argv.insert(argv.end(), arguments.begin(), arguments.end());
  std::vector<char*> pointers;
  for (auto& arg : argv) pointers.push_back(arg.data());
  pointers.push_back(nullptr);
  posix_spawnattr_t attributes;
  posix_spawnattr_init(&attributes);
  posix_spawnattr_setflags(&attributes, POSIX_SPAWN_SETPGROUP);
  posix_spawnattr_setpgroup(&attributes, 0);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 1, log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  posix_spawn_file_actions_adddup2(&actions, 1, 2);
  pid_t pid = -1;
  const int error =
      posix_spawn(&pid, argv[0].c_str(), &actions, &attributes, pointers.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attributes);
  return error == 0 ? pid : -1;
}

TEST_F(SweepShards, AKilledShardRunAgainRedoesOnlyItsUnfinishedRuns) {
  const std::vector<std::string> shard{"--log-level",
                                       "warn",
                                       "sweep",
                                       small_scenario(),
                                       "--param",
                                       "seed=1,2,3,4,5",
                                       "--quiet",
                                       "--jobs",
                                       "1",
                                       "-o",
                                       dir.file("s.h5"),
                                       "--shard",
                                       "0/2"};
  const pid_t pid = start_in_own_group(shard, dir.file("killed.log"));
  ASSERT_GT(pid, 0);
  // Kill the shard and its run in progress once its first run (id 0) has finished.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(50);
  while (!fs::exists(dir.file("s.h5.parts/run-0.json")) &&
         std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  kill(-pid, SIGKILL);
  int status = 0;
  waitpid(pid, &status, 0);
  ASSERT_TRUE(fs::exists(dir.file("s.h5.parts/run-0.json")))
      << test::read_text(dir.file("killed.log"));
  ASSERT_TRUE(WIFSIGNALED(status));
  // Its run, killed too, may still be exiting with its trace (and the lock) held: wait for it.
  ASSERT_TRUE(
      test::eventually([&] { return test::processes_mentioning(dir.file("s.h5.parts")) == 0; },
                       std::chrono::seconds(60)));
  const auto finished_at = fs::last_write_time(dir.file("s.h5.parts/run-0.h5"));
  EXPECT_FALSE(fs::exists(dir.file("s.h5.parts/run-2.json")));  // it was killed during run 2

  // Not --quiet, which keeps the log to warnings: at info level it says what it reuses.
  std::string again = "sweep " + small_scenario() + " --param seed=1,2,3,4,5 --jobs 1 -o " +
                      dir.file("s.h5") + " --shard 0/2";
  auto rerun = test::run_poisonsim(again);  // info level: it says what it reuses
  ASSERT_EQ(rerun.exit_code, 0) << rerun.output;
  EXPECT_NE(rerun.output.find("reusing 1 finished runs"), std::string::npos) << rerun.output;
  EXPECT_NE(rerun.output.find("shard 0/2: 3 runs (1 reused, 0 failed"), std::string::npos)
      << rerun.output;
  EXPECT_EQ(fs::last_write_time(dir.file("s.h5.parts/run-0.h5")), finished_at);  // not run again

  ASSERT_EQ(poisonsim("sweep " + small_scenario() + " --param seed=1,2,3,4,5 --quiet -o " +
                      dir.file("s.h5") + " --shard 1/2")
                .exit_code,
            0);
  auto merged = poisonsim("merge " + dir.file("s.h5"));
  ASSERT_EQ(merged.exit_code, 0) << merged.output;
  const auto sweep = read_sweep_file(dir.file("s.h5"));
  EXPECT_EQ(column(sweep, "status").texts, std::vector<std::string>(5, "ok"));
}

TEST_F(SweepShards, FailedRunsOfAShardAreFailedRowsAfterTheMerge) {
  const std::string sweep = "sweep " + small_scenario() +
                            " --param seed=1,2 --set model.file=/nonexistent/model.pt --quiet -o " +
                            dir.file("s.h5") + " --shard ";
  auto first = poisonsim(sweep + "0/2");
  EXPECT_EQ(first.exit_code, 2) << first.output;
  EXPECT_NE(first.output.find("1 of 1 runs failed"), std::string::npos) << first.output;
  EXPECT_EQ(poisonsim(sweep + "1/2").exit_code, 2);
  auto merged = poisonsim("merge " + dir.file("s.h5"));
  EXPECT_EQ(merged.exit_code, 2) << merged.output;
  EXPECT_NE(merged.output.find("2 of 2 runs failed"), std::string::npos) << merged.output;
  EXPECT_NE(merged.output.find("/nonexistent/model.pt"), std::string::npos) << merged.output;
  const auto contents = read_sweep_file(dir.file("s.h5"));
  EXPECT_EQ(column(contents, "status").texts, (std::vector<std::string>{"failed", "failed"}));
  EXPECT_EQ(column(contents.provenance, "exit_code").integers, (std::vector<int64_t>{2, 2}));
}

TEST_F(SweepShards, BadShardsAndMergesEndInOneErrorLine) {
  const std::string sweep = "sweep " + small_scenario() + " --param seed=1 --quiet -o ";
  for (const std::string bad : {"3/2", "2/2", "x", "1/0", "-1/2", "1/", "1/2/3"})
    expect_one_error(poisonsim(sweep + dir.file("s.h5") + " --shard=" + bad), "--shard " + bad);
  expect_one_error(poisonsim("merge " + dir.file("s.h5")), "no such directory");
  fs::create_directories(dir.file("empty"));
  expect_one_error(poisonsim("merge " + dir.file("s.h5") + " " + dir.file("empty")),
                   "no sweep.json");
  // Shard 1/2 of a one-run sweep has no run: it writes only the manifest.
  ASSERT_EQ(poisonsim(sweep + dir.file("a.h5") + " --shard 1/2").exit_code, 0);
  ASSERT_TRUE(fs::exists(dir.file("a.h5.parts/sweep.json")));
  ASSERT_EQ(poisonsim("sweep " + small_scenario() + " --param seed=2 --quiet -o " +
                      dir.file("b.h5") + " --shard 1/2")
                .exit_code,
            0);
  expect_one_error(poisonsim("merge " + dir.file("s.h5") + " " + dir.file("a.h5.parts") + " " +
                             dir.file("b.h5.parts")),
                   "holds parts of another sweep");
  // A shard of another sweep into the same parts directory.
  expect_one_error(poisonsim("sweep " + small_scenario() + " --param seed=2 --quiet -o " +
                             dir.file("a.h5") + " --shard 0/2"),
                   "belongs to another sweep");
  expect_one_error(poisonsim("merge " + dir.file("a.h5")), "1 of 1 runs have no finished part");
  auto dry =
      poisonsim("sweep " + small_scenario() + " --param seed=1,2,3,4,5 --dry-run --shard 1/2");
  EXPECT_EQ(dry.exit_code, 0) << dry.output;
  EXPECT_NE(dry.output.find("run    3: seed=4"), std::string::npos) << dry.output;
  EXPECT_EQ(dry.output.find("run    2: seed=3"), std::string::npos) << dry.output;
}

// Shards of one sweep run together; the same shard twice, the whole sweep beside a shard, or a
// merge while a shard runs, is refused at once (tools/sweep/sweep_lock.h).
TEST_F(SweepShards, ShardsRunTogetherButNotTwice) {
  const auto sweep = dir.file("s.h5");
  // Run 0 (shard 0/2) runs until stopped; run 1 (shard 1/2) is short.
  const auto shard = "--log-level warn sweep " + small_scenario() + " -o " + sweep +
                     " --quiet --jobs 1 --param duration=100000000,40 --shard ";
  test::BackgroundRun first(shard + "0/2", dir.file("first.log"));
  ASSERT_GT(first.pid(), 0);
  ASSERT_TRUE(test::eventually([&] { return fs::exists(sweep + ".parts/run-0.h5.partial"); }));

  const auto other = test::run_poisonsim(shard + "1/2");
  EXPECT_EQ(other.exit_code, 0) << other.output;
  expect_one_error(test::run_poisonsim(shard + "0/2"), "another sweep of it (or this shard)");
  expect_one_error(test::run_poisonsim("--log-level warn sweep " + small_scenario() + " -o " +
                                       sweep + " --quiet --param duration=100000000,40"),
                   "another sweep of it is running");
  // Nor is the merge: it would report shard 0's run as missing, or take it half-written.
  expect_one_error(test::run_poisonsim("--log-level warn merge " + sweep),
                   "a sweep (or a shard of it) writing these parts is still running");
  EXPECT_FALSE(fs::exists(sweep));
  EXPECT_TRUE(first.running());
  first.signal(SIGINT);
  EXPECT_EQ(first.wait(), 128 + SIGINT);
}

}  // namespace
}  // namespace poisonsim
