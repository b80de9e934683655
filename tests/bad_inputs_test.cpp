// The catalogue in tests/bad-inputs/: every malformed scenario must end in exit code 2 with one
// line that names the file and says what was wrong, never a crash or hang. Each file's first
// line says what the message must contain: "# expect: <fragment>".
#include <filesystem>

#include <gtest/gtest.h>

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

TEST(BadInputs, CatalogueHasAtLeastFifteenCases) {
  size_t count = 0;
  for (const auto& entry :
       fs::directory_iterator(std::string(POISONSIM_SOURCE_DIR) + "/tests/bad-inputs"))
    count += entry.path().extension() == ".yaml";
  EXPECT_GE(count, 15u);
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
  EXPECT_NE(missing.output.find("cannot open"), std::string::npos) << missing.output;
  auto directory = test::run_poisonsim("validate /tmp");
  EXPECT_EQ(directory.exit_code, 2);
  EXPECT_NE(directory.output.find("is a directory"), std::string::npos) << directory.output;
}

}  // namespace
}  // namespace poisonsim
