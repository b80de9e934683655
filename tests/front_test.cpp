// The light front (`poisonsim`, tools/cli/front_main.cpp) and the engine it hands verbs to: the
// same verbs listed, no numeric library loaded for the light verbs, one load for the others.
#include <algorithm>
#include <filesystem>
#include <regex>
#include <string>

#include <gtest/gtest.h>

#include "tests/test_support.h"

namespace poisonsim {
namespace {

namespace fs = std::filesystem;

std::string engine_binary() {
  return (fs::path(test::poisonsim_binary()).parent_path() / "poisonsim-engine").string();
}

// How many times the dynamic loader ran LibTorch's initialisers over the whole command: once per
// process that loaded it.
int libtorch_loads(const std::string& output) {
  const std::regex init(R"(calling init: \S*libtorch_cpu\.so)");
  return static_cast<int>(
      std::distance(std::sregex_iterator(output.begin(), output.end(), init), {}));
}

// The environment of a user's shell: none of the variables poisonsim sets for itself.
const char* const kFreshEnvironment =
    "-u OPENBLAS_CORETYPE -u DNNL_MAX_CPU_ISA -u ATEN_CPU_CAPABILITY -u POISONSIM_NUMERICS_ACTIVE "
    "-u POISONSIM_NUMERICS_ORIGINAL -u POISONSIM_CHOSEN_BLAS_KERNEL -u OMP_WAIT_POLICY";

TEST(Front, ListsTheEnginesVerbsWordForWord) {
  const auto front = test::run_poisonsim("--help");
  const auto engine = test::run_command(engine_binary() + " --help");
  ASSERT_EQ(front.exit_code, 0) << front.output;
  ASSERT_EQ(engine.exit_code, 0) << engine.output;
  const std::string engine_as_front =
      std::regex_replace(engine.output, std::regex("poisonsim-engine"), "poisonsim");
  EXPECT_EQ(front.output, engine_as_front);
}

TEST(Front, LightVerbsNeverLoadTheNumericLibraries) {
  for (const char* command : {"--help", "--version", "inspect missing.h5", "roc missing.h5"}) {
    const auto result = test::run_poisonsim_with_env("LD_DEBUG=libs", command);
    EXPECT_EQ(libtorch_loads(result.output), 0) << command;
    EXPECT_EQ(result.output.find("libdnnl"), std::string::npos) << command;
  }
}

TEST(Front, OtherVerbsLoadThemOnceWhereTheEngineAloneLoadsThemTwice) {
  const std::string validate =
      std::string("validate ") + POISONSIM_SOURCE_DIR + "/scenarios/quickstart.yaml";
  const auto through_front =
      test::run_poisonsim_with_env(std::string(kFreshEnvironment) + " LD_DEBUG=libs", validate);
  EXPECT_EQ(through_front.exit_code, 0) << through_front.output;
  EXPECT_EQ(libtorch_loads(through_front.output), 1);
  // The engine alone re-executes itself to set the libraries' variables: the cost the front saves.
  const auto engine_alone = test::run_command(std::string("env ") + kFreshEnvironment +
                                              " LD_DEBUG=libs " + engine_binary() + " " + validate);
  EXPECT_EQ(engine_alone.exit_code, 0) << engine_alone.output;
  EXPECT_EQ(libtorch_loads(engine_alone.output), 2);
}

TEST(Front, WithoutItsEngineSaysWhereItLookedInOneLine) {
  test::ScratchDir dir;
  const std::string lonely = dir.file("poisonsim");
  fs::copy_file(test::poisonsim_binary(), lonely);
  const auto result = test::run_command(lonely + " run x.yaml");
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_EQ(result.output.rfind("error: cannot start " + dir.file("poisonsim-engine") + ":", 0), 0u)
      << result.output;
  EXPECT_EQ(std::count(result.output.begin(), result.output.end(), '\n'), 1) << result.output;
  // The light verbs still work alone.
  EXPECT_EQ(test::run_command(lonely + " --version").exit_code, 0);
}

}  // namespace
}  // namespace poisonsim
