// `mpirun -np 3 poisonsim sweep` on localhost: the same file as one process, failed runs as
// failed rows, bad input as one error line; every rank's runs hold the sweep's lock, and a rank
// killed after its run finished leaves that run's row intact; a `type: python` guard on 2 ranks
// gives the file of one process. Built only with MPI (POISONSIM_MPI).
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>

#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <set>

#include <gtest/gtest.h>

#include "pipeline/trace/sweep_file.h"
#include "tests/background_run.h"
#include "tests/sweep_test_support.h"
#include "tests/test_support.h"
#include "tests/trace_row_fields.h"

namespace poisonsim {
namespace {

using test::column;
using test::poisonsim;
using test::small_scenario;
using MpiSweep = test::SweepCliTest;

// `ranks` ranks on this machine, whatever its core count; root is allowed (CI containers).
std::string mpirun_line(int ranks, const std::string& arguments) {
  return std::string(POISONSIM_MPIEXEC) + " --allow-run-as-root --oversubscribe -np " +
         std::to_string(ranks) + " " + test::poisonsim_binary() + " --log-level warn " + arguments;
}

test::CommandResult mpirun_poisonsim(const std::string& arguments) {
  return test::run_command(mpirun_line(3, arguments));
}

TEST_F(MpiSweep, ThreeRanksGiveTheFileOfOneProcess) {
  const std::string sweep = "sweep " + small_scenario() +
                            " --param guard.threshold=1,3,8,16 --seeds 2 --set seed=1 "
                            "--quiet ";
  auto one = poisonsim(sweep + "--jobs 2 -o " + dir.file("one.h5"));
  ASSERT_EQ(one.exit_code, 0) << one.output;
  // As if an earlier attempt had died after runs 0 and 4: the ranks run only the other six.
  ASSERT_EQ(poisonsim(sweep + "-o " + dir.file("mpi.h5") + " --shard 0/4").exit_code, 0);
  auto ranks = mpirun_poisonsim(sweep + "--jobs 1 -o " + dir.file("mpi.h5"));
  ASSERT_EQ(ranks.exit_code, 0) << ranks.output;
  EXPECT_NE(ranks.output.find("(8 runs, 2 reused, 3 ranks x 1 at a time"), std::string::npos)
      << ranks.output;
  // Only rank 0 prints the result.
  EXPECT_EQ(ranks.output.find("sweep written to"), ranks.output.rfind("sweep written to"));

  const auto a = read_sweep_file(dir.file("one.h5")), b = read_sweep_file(dir.file("mpi.h5"));
  EXPECT_TRUE(b.complete);
  ASSERT_EQ(column(a, "run").integers.size(), 8u);
  EXPECT_EQ(column(a, "seed").reals, (std::vector<double>{1, 2, 1, 2, 1, 2, 1, 2}));
  test::expect_same_summary(a, b);
  test::expect_same_table(a.aggregate, b.aggregate);
  for (int run = 0; run < 8; ++run) {
    const std::string group = "/runs/" + std::to_string(run);
    test::expect_same_trace(dir.file("one.h5"), dir.file("mpi.h5"), group, group);
  }
  std::set<std::string> workers;
  const auto& worker = column(b.provenance, "worker").texts;
  for (size_t run = 0; run < worker.size(); ++run) {
    if (run % 4 == 0) {
      EXPECT_EQ(worker[run], "shard 0/4");  // reused, not run again
      continue;
    }
    EXPECT_TRUE(worker[run] == "rank 0/3" || worker[run] == "rank 1/3" || worker[run] == "rank 2/3")
        << worker[run];
    workers.insert(worker[run]);
  }
  EXPECT_GE(workers.size(), 2u);  // the runs were spread (six runs of a second or more each)
  EXPECT_FALSE(std::filesystem::exists(dir.file("mpi.h5.parts")));
}

TEST_F(MpiSweep, RunsThatFailOnAnyRankAreFailedRows) {
  auto result = mpirun_poisonsim("sweep " + small_scenario() +
                                 " --param seed=1,2,3,4 --set model.file=/nonexistent/model.pt "
                                 "--quiet -o " +
                                 dir.file("s.h5"));
  EXPECT_EQ(result.exit_code, 2) << result.output;
  EXPECT_NE(result.output.find("4 of 4 runs failed"), std::string::npos) << result.output;
  const auto sweep = read_sweep_file(dir.file("s.h5"));
  EXPECT_EQ(column(sweep, "status").texts, std::vector<std::string>(4, "failed"));
  EXPECT_EQ(column(sweep.provenance, "exit_code").integers, std::vector<int64_t>(4, 2));
  EXPECT_TRUE(std::filesystem::exists(dir.file("s.h5.parts/run-3.log")));
}

TEST_F(MpiSweep, BadInputIsOneErrorLine) {
  auto result = mpirun_poisonsim("sweep " + small_scenario() +
                                 " --param guard.threshold=1,abc -o " + dir.file("s.h5"));
  EXPECT_EQ(result.exit_code, 2) << result.output;
  size_t errors = 0;
  for (size_t at = result.output.find("error: "); at != std::string::npos;
       at = result.output.find("error: ", at + 1))
    ++errors;
  EXPECT_EQ(errors, 1u) << result.output;
  EXPECT_NE(result.output.find("sweep run 1: guard.threshold=abc"), std::string::npos)
      << result.output;
  EXPECT_FALSE(std::filesystem::exists(dir.file("s.h5.parts")));
}

// The pids of the sweep's runs (`poisonsim run ... -o <parts>/run-<id>.h5`) by the MPI rank that
// started them (a run inherits its rank's OMPI_COMM_WORLD_RANK), and of the ranks themselves.
struct SweepProcesses {
  std::map<int, pid_t> runs, ranks;
};

SweepProcesses sweep_processes(const std::string& sweep) {
  SweepProcesses found;
  const std::string rank_variable = std::string(1, '\0') + "OMPI_COMM_WORLD_RANK=";
  for (const auto& entry : std::filesystem::directory_iterator("/proc")) {
    const auto name = entry.path().filename().string();
    if (name.find_first_not_of("0123456789") != std::string::npos) continue;
    const std::string cmdline = test::file_bytes(entry.path().string() + "/cmdline");
    if (cmdline.find(sweep) == std::string::npos) continue;  // the ranks' -o, the runs' parts
    const std::string environment = '\0' + test::file_bytes(entry.path().string() + "/environ");
    const size_t at = environment.find(rank_variable);
    if (at == std::string::npos) continue;
    const int rank = std::atoi(environment.c_str() + at + rank_variable.size());
    const bool run = cmdline.find(std::string(1, '\0') + "run" + '\0') != std::string::npos;
    (run ? found.runs : found.ranks)[rank] = std::stoi(name);
  }
  return found;
}

// Whether process `pid` holds a lock on the file at `path` through one of its descriptors: the
// kernel lists the locks of each descriptor's open file description in /proc/PID/fdinfo/FD.
bool holds_lock_on(pid_t pid, const std::string& path) {
  const std::string proc = "/proc/" + std::to_string(pid);
  std::error_code ec;
  const auto wanted = std::filesystem::canonical(path, ec);
  for (const auto& fd : std::filesystem::directory_iterator(proc + "/fd", ec)) {
    std::error_code unreadable;
    if (std::filesystem::read_symlink(fd.path(), unreadable) != wanted) continue;
    const std::string info = test::file_bytes(proc + "/fdinfo/" + fd.path().filename().string());
    if (info.find("\nlock:") != std::string::npos) return true;
  }
  return false;
}

// mpirun in the background (through sh, which execs it), its output into `log`.
pid_t start_mpirun(int ranks, const std::string& arguments, const std::string& log) {
  const std::string line = "exec " + mpirun_line(ranks, arguments) + " >" + log + " 2>&1";
  const char* argv[] = {"/bin/sh", "-c", line.c_str(), nullptr};
  pid_t pid = -1;
  if (posix_spawn(&pid, "/bin/sh", nullptr, nullptr, const_cast<char**>(argv), environ) != 0)
    return -1;
  return pid;
}

int wait_for(pid_t pid) {
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

TEST_F(MpiSweep, EveryRanksRunsHoldTheSweepLock) {
  const std::string sweep = dir.file("s.h5"), parts = sweep + ".parts";
  // Two runs that never end by themselves, one on each rank (one slot each).
  const pid_t mpirun = start_mpirun(2,
                                    "sweep " + small_scenario() +
                                        " --param duration=100000000,100000000 --jobs 1 --quiet "
                                        "-o " + sweep,
                                    dir.file("mpirun.log"));
  ASSERT_GT(mpirun, 0);
  SweepProcesses found;
  EXPECT_TRUE(test::eventually([&] { return (found = sweep_processes(sweep)).runs.size() == 2; }))
      << test::file_bytes(dir.file("mpirun.log"));
  // Rank 1's run holds the output as rank 0's does: killed with its rank, it may take a while to
  // close its trace, and until it has, no rerun, other sweep or merge may start.
  for (const auto& [rank, pid] : found.runs)
    EXPECT_TRUE(holds_lock_on(pid, parts + "/sweep.lock")) << "the run of rank " << rank;
  EXPECT_EQ(found.runs.count(1), 1u) << "no run on rank 1";
  test::expect_one_error(poisonsim("merge " + sweep), "still running");

  ::kill(mpirun, SIGTERM);  // passed on to the ranks, whose runs die with them
  wait_for(mpirun);
  EXPECT_TRUE(test::eventually([&] { return test::processes_mentioning(parts) == 0; },
                               std::chrono::seconds(60)));
}

TEST_F(MpiSweep, ARunWhoseRankWasKilledAfterItFinishedKeepsItsRow) {
  const std::string sweep = dir.file("s.h5"), parts = sweep + ".parts";
  // Run 0 (rank 0) outlasts run 1 (rank 1), so rank 1 can be killed once run 1 has finished.
  const std::string arguments = "sweep " + small_scenario() +
                                " --param duration=3000,40 --jobs 1 --quiet -o " + sweep;
  const pid_t mpirun = start_mpirun(2, arguments, dir.file("first.log"));
  ASSERT_GT(mpirun, 0);
  SweepProcesses found;
  ASSERT_TRUE(test::eventually([&] {
    found = sweep_processes(sweep);
    return found.runs.count(1) == 1 && found.ranks.count(1) == 1;
  })) << test::file_bytes(dir.file("first.log"));
  // Frozen, rank 1 cannot record that its run ended, as if it were killed at that moment.
  ::kill(found.ranks[1], SIGSTOP);
  EXPECT_TRUE(test::eventually([&] {
    return std::filesystem::exists(parts + "/run-1.h5") && !sweep_processes(sweep).runs.count(1);
  }));
  ::kill(found.ranks[1], SIGKILL);  // mpirun then ends the job
  EXPECT_NE(wait_for(mpirun), 0);
  ASSERT_TRUE(test::eventually([&] { return test::processes_mentioning(parts) == 0; },
                               std::chrono::seconds(60)));

  // The same command again reuses run 1 and redoes run 0.
  const auto again = test::run_command(mpirun_line(2, arguments));
  ASSERT_EQ(again.exit_code, 0) << again.output;
  EXPECT_NE(again.output.find("1 reused"), std::string::npos) << again.output;
  const auto file = read_sweep_file(sweep);
  EXPECT_EQ(column(file, "status").texts, (std::vector<std::string>{"ok", "ok"}));
  EXPECT_EQ(column(file.provenance, "worker").texts[1], "rank 1/2");  // not unknown
  EXPECT_FALSE(column(file.provenance, "host").texts[1].empty());
  EXPECT_EQ(column(file.provenance, "exit_code").integers, (std::vector<int64_t>{0, 0}));
  EXPECT_TRUE(std::isnan(column(file.provenance, "seconds").reals[1]));  // its end not recorded
}

// A `type: python` guard (scenarios/plugins/loss_threshold.py) on 2 ranks, 2 seeds: each rank's
// runs start their own interpreter; the file equals one process's, verdicts included.
TEST_F(MpiSweep, APythonGuardOnTwoRanksGivesTheFileOfOneProcess) {
  const std::string guard =
      std::string(POISONSIM_SOURCE_DIR) + "/scenarios/plugins/loss_threshold.py";
  const std::string sweep = "sweep " + small_scenario() +
                            " --seeds 2 --set seed=1 --set duration=60 "
                            "--set 'guard={type: python, file: " + guard +
                            ", class: LossThreshold, threshold: 2.3}' --set trace.samples=true "
                            "--jobs 1 --quiet -o ";
  auto one = poisonsim(sweep + dir.file("one.h5"));
  ASSERT_EQ(one.exit_code, 0) << one.output;
  auto ranks = test::run_command(mpirun_line(2, sweep + dir.file("mpi.h5")));
  ASSERT_EQ(ranks.exit_code, 0) << ranks.output;
  const auto a = read_sweep_file(dir.file("one.h5")), b = read_sweep_file(dir.file("mpi.h5"));
  EXPECT_TRUE(b.complete);
  EXPECT_EQ(column(b, "status").texts, (std::vector<std::string>{"ok", "ok"}));
  const auto& worker = column(b.provenance, "worker").texts;  // one run on each rank
  EXPECT_EQ(std::set<std::string>(worker.begin(), worker.end()),
            (std::set<std::string>{"rank 0/2", "rank 1/2"}));
  test::expect_same_summary(a, b);
  for (int run = 0; run < 2; ++run) {
    const std::string group = "/runs/" + std::to_string(run);
    test::expect_same_trace(dir.file("one.h5"), dir.file("mpi.h5"), group, group);
  }
  // The guard judged: equal files of a guard that never rejects would prove little.
  const auto& rejected = column(a, "poison_rejected").integers;
  const auto& clean_rejected = column(a, "clean_rejected").integers;
  EXPECT_GT(rejected[0] + rejected[1] + clean_rejected[0] + clean_rejected[1], 0);
}

}  // namespace
}  // namespace poisonsim
