// The CLI as a user meets it: exit codes and one-line messages.
#include <filesystem>
#include <regex>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "pipeline/model/target_model.h"
#include "tests/test_support.h"

namespace poisonsim {
namespace {

using test::run_poisonsim;

TEST(Cli, HelpAndVersionExitZero) {
  const auto help = run_poisonsim("--help");
  EXPECT_EQ(help.exit_code, 0);
  for (const char* verb : {"run", "sweep", "inspect", "report"})
    EXPECT_NE(help.output.find(std::string("\n  ") + verb + " "), std::string::npos) << verb;
  // --version prints the project's version (CMakeLists.txt) and nothing else.
  const std::string cmake = test::read_text(std::string(POISONSIM_SOURCE_DIR) + "/CMakeLists.txt");
  std::smatch project;
  ASSERT_TRUE(
      std::regex_search(cmake, project, std::regex(R"(project\(poisonsim VERSION ([0-9.]+))")));
  const auto version = run_poisonsim("--version");
  EXPECT_EQ(version.exit_code, 0);
  EXPECT_EQ(version.output, project[1].str() + "\n");
}

TEST(Cli, CommandLineMistakesExitTwo) {
  EXPECT_EQ(run_poisonsim("").exit_code, 2);
  EXPECT_EQ(run_poisonsim("frobnicate").exit_code, 2);
  EXPECT_EQ(run_poisonsim("train --epochs notanumber").exit_code, 2);
  EXPECT_EQ(run_poisonsim("train --data imagenet").exit_code, 2);
}

TEST(Cli, BadDataFilesExitTwoWithOneLineNamingTheFile) {
  test::ScratchDir dir;
  test::write_idx_directory(dir.path(), 100, 20, true);
  test::write_bytes(dir.file("t10k-images-idx3-ubyte.gz"), {1, 2, 3});
  const auto result =
      run_poisonsim("train --data mnist --data-path " + dir.path() + " -o " + dir.file("m.pt"));
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_NE(result.output.find("error: " + dir.file("t10k-images-idx3-ubyte.gz")),
            std::string::npos)
      << result.output;
  const auto missing = run_poisonsim("train --data mnist --data-path " + dir.file("nowhere"));
  EXPECT_EQ(missing.exit_code, 2);
  EXPECT_NE(missing.output.find("not a directory"), std::string::npos) << missing.output;
}

TEST(Cli, TrainWritesALoadableModelAndReportsAccuracy) {
  test::ScratchDir dir;
  const auto result = run_poisonsim(
      "--threads 1 train --data synthetic --validation 200 --epochs 2 "
      "--hidden 32 -o " +
      dir.file("m.pt"));
  ASSERT_EQ(result.exit_code, 0) << result.output;
  EXPECT_NE(result.output.find("test accuracy"), std::string::npos) << result.output;
  const auto model = TargetModel::load(dir.file("m.pt"));
  EXPECT_EQ(model.spec().describe(), "mlp 784-32-10");
}

}  // namespace
}  // namespace poisonsim

namespace poisonsim {
namespace {

TEST(ShippedScenarios, AllValidate) {
  // Every shipped scenario, so a new one is checked without editing this list.
  std::vector<std::string> paths;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(
           std::string(POISONSIM_SOURCE_DIR) + "/scenarios"))
    if (entry.path().extension() == ".yaml") paths.push_back(entry.path().string());
  EXPECT_GE(paths.size(), 5u);
  for (const auto& path : paths) {
    const auto result = test::run_poisonsim("validate " + path);
    EXPECT_EQ(result.exit_code, 0) << path << ": " << result.output;
  }
}

TEST(ShippedScenarios, Cifar10WithoutItsFilesNamesWhatIsMissing) {
  test::ScratchDir dir;
  const auto result =
      test::run_poisonsim(std::string("run ") + POISONSIM_SOURCE_DIR +
                          "/scenarios/paper/cifar10-generative.yaml --quiet --set data.path=" + dir.path() +
                          " -o " + dir.file("c.h5"));
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_NE(result.output.find("missing data_batch_1.bin"), std::string::npos) << result.output;
}

}  // namespace
}  // namespace poisonsim
