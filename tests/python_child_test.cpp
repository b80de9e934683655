// `export` and `report` hand traces to a Python child whose h5py uses the same HDF5 library, with
// the same weaknesses on corrupt files (issue 28): the trace reader's guards run first in C++, so
// such a file is one `error:` line, and a child that dies of a signal anyway is one `error:` line
// too, never a crash without a message.
#include <filesystem>
#include <string>

#include <gtest/gtest.h>

#include "tests/background_run.h"
#include "tests/test_support.h"

namespace poisonsim {
namespace {

// Crashes HDF5 1.10.8 (a dangling global heap reference, found by fuzz_trace).
const std::string kCrashesHdf5 =
    std::string(POISONSIM_SOURCE_DIR) + "/tests/fuzz/hdf5-known/dangling-heap-index-segv";

void expect_one_error(const test::CommandResult& result, const std::string& where,
                      const std::string& fragment) {
  EXPECT_EQ(result.exit_code, 2) << result.output;
  EXPECT_TRUE(test::single_error_line(result.output)) << result.output;
  EXPECT_EQ(result.output.rfind("error: " + where + ": ", 0), 0u) << result.output;
  EXPECT_NE(result.output.find(fragment), std::string::npos) << result.output;
}

TEST(PythonChild, ExportAndReportOfATraceThatCrashesHdf5AreOneErrorLine) {
  test::ScratchDir dir;
  expect_one_error(test::run_poisonsim("export " + kCrashesHdf5 + " -o " + dir.file("csv")),
                   kCrashesHdf5, "corrupt HDF5 file");
  expect_one_error(test::run_poisonsim("report " + kCrashesHdf5 + " -o " + dir.file("report")),
                   kCrashesHdf5, "corrupt HDF5 file");
  expect_one_error(test::run_poisonsim("report " + kCrashesHdf5 + " --baseline " + kCrashesHdf5 +
                                       " -o " + dir.file("report")),
                   kCrashesHdf5, "corrupt HDF5 file");
  EXPECT_FALSE(std::filesystem::exists(dir.file("csv")));
}

TEST(PythonChild, AScriptKilledByASignalIsOneErrorLine) {
  test::ScratchDir dir;
  const auto script = dir.file("crash.py");
  test::write_text(script, "import os, signal\nos.kill(os.getpid(), signal.SIGSEGV)\n");
  test::write_text(dir.file("input.json"), "{}");
  expect_one_error(test::run_poisonsim_with_env("POISONSIM_EXPORT_SCRIPT=" + script,
                                                "export " + dir.file("input.json") + " -o " +
                                                    dir.file("out")),
                   script, "died of signal 11 (Segmentation fault)");
  expect_one_error(test::run_poisonsim_with_env("POISONSIM_REPORT_SCRIPT=" + script,
                                                "report " + dir.file("input.json") + " -o " +
                                                    dir.file("out")),
                   script, "died of signal 11 (Segmentation fault)");
}

}  // namespace
}  // namespace poisonsim
