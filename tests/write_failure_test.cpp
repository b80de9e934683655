// A write that fails mid-run (here a file-size limit, as a full disk would) ends the run with one
// `error:` line and exit code 2, and leaves TRACE.h5.partial readable as of its last flush:
// every table, by TraceReader, `poisonsim inspect` and h5py (SWMR reading), whichever write
// failed. (The writer abandons the file rather than closing it: tracewriter.h.)
#include <filesystem>
#include <string>

#include <gtest/gtest.h>

#include "pipeline/trace/trace_reader.h"
#include "tests/test_support.h"

namespace poisonsim {
namespace {

namespace fs = std::filesystem;

const std::string kSource = POISONSIM_SOURCE_DIR;
const std::string kScenario = kSource + "/tests/scenarios/synthetic-small.yaml";

class WriteFailure : public ::testing::TestWithParam<int> {};

TEST_P(WriteFailure, EndsInOneErrorLineAndLeavesEveryTableReadable) {
  test::ScratchDir dir;
  setenv("POISONSIM_CACHE_DIR", dir.file("cache").c_str(), 1);
  const auto trace = dir.file("run.h5"), partial = trace + ".partial";
  // Pretrained beforehand (cached): its progress line would come before the error line.
  ASSERT_EQ(test::run_poisonsim("--log-level warn run " + kScenario + " -o " + dir.file("w.h5") +
                                " --quiet --set duration=1")
                .exit_code,
            0);
  // /bin/sh's ulimit -f counts 512-byte blocks; SIGXFSZ is ignored, so writes fail with EFBIG.
  const auto result = test::run_command(
      "ulimit -f " + std::to_string(GetParam()) + "; " + test::poisonsim_binary() +
      " --log-level warn run " + kScenario + " -o " + trace +
      " --quiet --set duration=100000000 --set trace.flush_seconds=0.05");
  EXPECT_EQ(result.exit_code, 2) << result.output;
  EXPECT_EQ(result.output.rfind("error: ", 0), 0u) << result.output;
  EXPECT_EQ(result.output.find('\n'), result.output.size() - 1) << "not one line:\n" << result.output;
  EXPECT_NE(result.output.find("File too large"), std::string::npos) << result.output;
  EXPECT_NE(result.output.find(partial), std::string::npos) << "where the trace is kept";
  EXPECT_FALSE(fs::exists(trace));
  ASSERT_TRUE(fs::exists(partial));

  TraceReader reader(partial);
  EXPECT_TRUE(reader.in_progress());
  EXPECT_FALSE(reader.complete());
  const auto contents = read_trace(partial);  // every row of every table
  EXPECT_GT(contents.events.size(), 0u) << "not even the first flush was kept";
  EXPECT_EQ(contents.events.size(), static_cast<size_t>(reader.rows("events")));
  const auto inspect = test::run_poisonsim("inspect " + partial);
  EXPECT_EQ(inspect.exit_code, 0) << inspect.output;
  const auto h5py = test::run_command("/usr/bin/python3 " + kSource +
                                      "/tests/check_trace_layout.py --swmr " + partial);
  EXPECT_EQ(h5py.exit_code, 0) << h5py.output;
}

// From a limit hit while the first chunks are written to one hit after many flushes.
INSTANTIATE_TEST_SUITE_P(FileSizeLimits, WriteFailure, ::testing::Values(200, 900, 2500, 6000));

}  // namespace
}  // namespace poisonsim
