// `mpirun -np 3 poisonsim sweep` on localhost: the same file as one process, failed runs as
// failed rows, bad input as one error line. Built only with MPI (POISONSIM_MPI).
#include <filesystem>
#include <set>

#include <gtest/gtest.h>

#include "pipeline/trace/sweep_file.h"
#include "tests/sweep_test_support.h"
#include "tests/test_support.h"
#include "tests/trace_row_fields.h"

namespace poisonsim {
namespace {

using test::column;
using test::poisonsim;
using test::small_scenario;
using MpiSweep = test::SweepCliTest;

// Three ranks on this machine, whatever its core count; root is allowed (CI containers).
test::CommandResult mpirun_poisonsim(const std::string& arguments) {
  return test::run_command(std::string(POISONSIM_MPIEXEC) +
                           " --allow-run-as-root --oversubscribe -np 3 " +
                           test::poisonsim_binary() + " --log-level warn " + arguments);
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

}  // namespace
}  // namespace poisonsim
