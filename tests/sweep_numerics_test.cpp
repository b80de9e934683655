// A sweep whose runs computed alike says nothing; one whose shards ran in different numerics
// modes (POISONSIM_NUMERICS) records each run's numerics and CPU in its provenance table, and
// `merge` and `inspect` warn in one line.
#include <string>

#include <gtest/gtest.h>

#include "pipeline/trace/sweep_file.h"
#include "tests/sweep_test_support.h"
#include "tests/test_support.h"

namespace poisonsim {
namespace {

using test::column;
using SweepNumerics = test::SweepCliTest;

// Four runs: two thresholds x two seeds; shard i/2 runs the ids with id % 2 == i.
const std::string kGrid =
    " --param guard.threshold=1,8 --seeds 2 --set seed=1 --set duration=40 --quiet ";

TEST_F(SweepNumerics, OneModeIsSilentAndRecorded) {
  auto result =
      test::poisonsim("sweep " + test::small_scenario() + kGrid + "-o " + dir.file("one.h5"));
  ASSERT_EQ(result.exit_code, 0) << result.output;
  EXPECT_EQ(result.output.find("mixed numerics"), std::string::npos) << result.output;
  const auto sweep = read_sweep_file(dir.file("one.h5"));
  const auto& numerics = column(sweep.provenance, "numerics").texts;
  ASSERT_EQ(numerics.size(), 4u);
  for (const auto& text : numerics) EXPECT_EQ(text, numerics[0]);
  EXPECT_EQ(numerics[0].rfind("portable: ", 0), 0u) << numerics[0];
  EXPECT_FALSE(column(sweep.provenance, "cpu").texts[0].empty());
}

TEST_F(SweepNumerics, ShardsInDifferentModesWarnAtMergeAndInspect) {
  const std::string sharded = "--log-level warn sweep " + test::small_scenario() + kGrid + "-o " +
                              dir.file("s.h5") + " --shard ";
  ASSERT_EQ(test::run_poisonsim_with_env("POISONSIM_NUMERICS=portable", sharded + "0/2").exit_code,
            0);
  ASSERT_EQ(test::run_poisonsim_with_env("POISONSIM_NUMERICS=native", sharded + "1/2").exit_code,
            0);
  const auto merged = test::poisonsim("merge " + dir.file("s.h5"));
  ASSERT_EQ(merged.exit_code, 0) << merged.output;
  EXPECT_NE(merged.output.find("the runs mixed numerics modes (2 × native: "), std::string::npos)
      << merged.output;
  EXPECT_NE(merged.output.find("2 × portable: OpenBLAS Haswell"), std::string::npos)
      << merged.output;
  const auto sweep = read_sweep_file(dir.file("s.h5"));
  const auto& numerics = column(sweep.provenance, "numerics").texts;
  ASSERT_EQ(numerics.size(), 4u);
  for (size_t run = 0; run < 4; ++run)
    EXPECT_EQ(numerics[run].rfind(run % 2 ? "native: " : "portable: ", 0), 0u) << numerics[run];

  for (const char* extra : {"", " --mean-over seed"}) {
    const auto inspected = test::poisonsim("inspect " + dir.file("s.h5") + extra);
    EXPECT_NE(inspected.output.find("mixed numerics modes"), std::string::npos)
        << extra << inspected.output;
  }
}

}  // namespace
}  // namespace poisonsim
