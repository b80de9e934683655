// The catalogue in tests/bad-inputs/: every malformed scenario must end in exit code 2 with one
// line that names the file and says what was wrong, never a crash or hang. Each file's first
// line says what the message must contain: "# expect: <fragment>".
#include <sys/stat.h>

#include <filesystem>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "pipeline/data/file_bytes.h"
#include "tests/test_support.h"

namespace poisonsim {
namespace {

namespace fs = std::filesystem;

std::string expected_fragment(const std::string& path) {
  const std::string text = test::read_text(path);
  const std::string marker = "# expect: ";
  if (text.rfind(marker, 0) != 0) return "empty scenario";  // e.g. the empty file
  return text.substr(marker.size(), text.find('\n') - marker.size());
}

TEST(BadInputs, CatalogueHasAtLeastSixtyCases) {
  size_t count = 0;
  for (const auto& entry :
       fs::directory_iterator(std::string(POISONSIM_SOURCE_DIR) + "/tests/bad-inputs"))
    count += entry.path().extension() == ".yaml";
  EXPECT_GE(count, 60u);
}

TEST(BadInputs, EachEndsInExitTwoWithOneLineNamingTheFile) {
  for (const auto& entry :
       fs::directory_iterator(std::string(POISONSIM_SOURCE_DIR) + "/tests/bad-inputs")) {
    const std::string path = entry.path().string();
    SCOPED_TRACE(path);
    const auto result = test::run_poisonsim("validate '" + path + "'");
    EXPECT_EQ(result.exit_code, 2) << result.output;
    std::string output = result.output;
    while (!output.empty() && output.back() == '\n') output.pop_back();
    EXPECT_EQ(output.find('\n'), std::string::npos) << "more than one line:\n" << output;
    EXPECT_EQ(output.rfind("error: " + path, 0), 0u) << output;
    EXPECT_NE(output.find(expected_fragment(path)), std::string::npos) << output;
  }
}

TEST(BadInputs, MissingAndDirectoryScenarioFiles) {
  auto missing = test::run_poisonsim("validate /nonexistent/scenario.yaml");
  EXPECT_EQ(missing.exit_code, 2);
  EXPECT_NE(missing.output.find("no such file"), std::string::npos) << missing.output;
  auto directory = test::run_poisonsim("validate /tmp");
  EXPECT_EQ(directory.exit_code, 2);
  EXPECT_NE(directory.output.find("is a directory"), std::string::npos) << directory.output;
}

// A FIFO nobody writes to would block a reader forever: every input is refused before it is
// opened. `timeout` turns a regression into a failure (exit 124) instead of a hung suite.
TEST(BadInputs, FifosAreRefusedWithoutBlocking) {
  test::ScratchDir dir;
  const std::string fifo = dir.file("fifo");
  ASSERT_EQ(mkfifo(fifo.c_str(), 0600), 0);
  const std::vector<std::string> commands = {"validate " + fifo, "inspect " + fifo, "roc " + fifo,
                                             "run " + std::string(POISONSIM_SOURCE_DIR) +
                                                 "/scenarios/quickstart.yaml --set model.file=" +
                                                 fifo + " -o " + dir.file("t.h5") + " --quiet"};
  for (const auto& command : commands) {
    const auto result = test::run_command("timeout 60 " + test::poisonsim_binary() + " " + command);
    EXPECT_EQ(result.exit_code, 2) << command << "\n" << result.output;
    EXPECT_NE(result.output.find("is not a regular file"), std::string::npos) << command << "\n"
                                                                              << result.output;
  }
  // Data files (IDX, CIFAR-10) go through the same reader.
  test::expect_user_error([&] { read_file_bytes(fifo); }, fifo, "is not a regular file");
}

}  // namespace
}  // namespace poisonsim
