// A run's checkpoint is reserved for the run's whole life (issue 28): while a run may still
// write it, a second run or a resume pointing at it fails at once with one `error:` line, instead
// of replacing the first run's resume point under it (tools/cli/checkpoint_paths.h).
#include <signal.h>

#include <filesystem>
#include <string>

#include <gtest/gtest.h>

#include "tests/background_run.h"
#include "tests/test_support.h"

namespace poisonsim {
namespace {

namespace fs = std::filesystem;

const std::string kScenario =
    std::string(POISONSIM_SOURCE_DIR) + "/tests/scenarios/synthetic-small.yaml";

// Bounded, so a regression (a second run that starts) fails instead of hanging the suite.
test::CommandResult poisonsim(const std::string& arguments) {
  return test::run_command("timeout 120 " + test::poisonsim_binary() + " --log-level warn " +
                           arguments);
}

TEST(CheckpointReservation, ASecondRunOrResumeOfALiveCheckpointFailsAtOnce) {
  test::ScratchDir dir;
  setenv("POISONSIM_CACHE_DIR", dir.file("cache").c_str(), 1);
  const auto checkpoint = dir.file("c.ckpt");
  // A finished short run leaves a checkpoint that resumes in seconds.
  const auto first = poisonsim("run " + kScenario + " -o " + dir.file("short.h5") +
                               " --quiet --checkpoint-every 20 --checkpoint " + checkpoint);
  ASSERT_EQ(first.exit_code, 0) << first.output;
  EXPECT_FALSE(fs::exists(checkpoint + ".lock")) << "a run that ended leaves no lock file";

  // A run that will not end, checkpointing there when stopped: it holds the checkpoint.
  test::BackgroundRun live("--log-level warn run " + kScenario + " -o " + dir.file("live.h5") +
                               " --quiet --set duration=100000000 --force --checkpoint " +
                               checkpoint,
                           dir.file("live.log"));
  ASSERT_TRUE(test::eventually([&] { return fs::exists(dir.file("live.h5.partial")); }))
      << test::read_text(dir.file("live.log"));

  for (const std::string& arguments :
       {"resume " + checkpoint + " -o " + dir.file("resumed.h5"),
        "run " + kScenario + " -o " + dir.file("second.h5") + " --quiet --force --checkpoint " +
            checkpoint}) {
    SCOPED_TRACE(arguments);
    const auto result = poisonsim(arguments);
    EXPECT_EQ(result.exit_code, 2) << result.output;
    EXPECT_TRUE(test::single_error_line(result.output)) << result.output;
    EXPECT_NE(result.output.find(checkpoint + ": another run or resume is using this checkpoint"),
              std::string::npos)
        << result.output;
  }
  EXPECT_FALSE(fs::exists(dir.file("resumed.h5")));
  EXPECT_FALSE(fs::exists(dir.file("second.h5.partial")));

  // Stopped, the live run writes its own resume point, then lets the checkpoint go.
  ASSERT_TRUE(live.running());
  live.signal(SIGINT);
  EXPECT_EQ(live.wait(), 128 + SIGINT) << test::read_text(dir.file("live.log"));
  EXPECT_FALSE(fs::exists(checkpoint + ".lock"));
  const auto after = poisonsim("run " + kScenario + " -o " + dir.file("after.h5") +
                               " --quiet --force --checkpoint " + checkpoint);
  EXPECT_EQ(after.exit_code, 0) << after.output;
}

}  // namespace
}  // namespace poisonsim
