// What resume checks before it restores anything (issue 28): the build that wrote the checkpoint
// (release and git commit) and the data files the run read (size and digest of each). Resumed
// elsewhere, a relative data.path can name other valid files, which resumed silently into a wrong
// accuracy; now each is one `error:` line naming what differs.
#include <filesystem>
#include <string>

#include <gtest/gtest.h>

#include "pipeline/trace/checkpoint_file.h"
#include "tests/background_run.h"
#include "tests/test_support.h"

namespace poisonsim {
namespace {

namespace fs = std::filesystem;
using test::single_error_line;

// The small test scenario on MNIST-format files found at the relative path `data`.
const std::string kScenario = R"(seed: 3
duration: 60
data:
  kind: mnist
  path: data
  splits: {pretrain: 600, validation: 200, attacker: 200, attacker_validation: 100}
model: {hidden: [16]}
pretrain: {epochs: 1}
streams:
  - name: public
    arrival: {process: fixed, rate: 2}
    batch_size: 16
retrain: {interval: 20}
gate: {type: validation}
evaluation: {interval: 20}
)";

class CheckpointChecks : public ::testing::Test {
 protected:
  // A run started in run/ (data in run/data) with checkpoints, killed after the first:
  // run/t.h5.checkpoint (a finished run's would only record that it finished). Evaluations
  // every 0.05 s (each flushes the trace) make it last seconds, so the kill lands mid-run.
  static void SetUpTestSuite() {
    dir_ = new test::ScratchDir;
    setenv("POISONSIM_CACHE_DIR", dir_->file("cache").c_str(), 1);
    test::write_text(dir_->file("s.yaml"), kScenario);
    data_dir("run");
    const auto cwd = fs::current_path();
    fs::current_path(dir_->file("run"));  // the run's data.path is relative to where it runs
    test::BackgroundRun run(
        "--log-level warn run ../s.yaml -o t.h5 --quiet --checkpoint-every 20 "
        "--set evaluation.interval=0.05",
        dir_->file("run.log"));
    fs::current_path(cwd);
    ASSERT_TRUE(test::eventually([] {
      return fs::exists(checkpoint()) && read_checkpoint_file(checkpoint()).time >= 20;
    })) << test::read_text(dir_->file("run.log"));
    run.signal(SIGKILL);
    ASSERT_EQ(run.wait(), 128 + SIGKILL) << "the run ended before the kill";
    ASSERT_FALSE(read_checkpoint_file(checkpoint()).finished());
  }
  static void TearDownTestSuite() {
    delete dir_;
    dir_ = nullptr;
  }
  // `name`/data with the four IDX files of the test data set.
  static std::string data_dir(const std::string& name) {
    const auto data = dir_->file(name + "/data");
    fs::create_directories(data);
    test::write_idx_directory(data, 2000, 200, false);
    return data;
  }
  // poisonsim run from the directory `name` (data.path is relative to it).
  static test::CommandResult in(const std::string& name, const std::string& arguments) {
    fs::create_directories(dir_->file(name));
    return test::run_command("cd " + dir_->file(name) + " && timeout 300 " +
                             test::poisonsim_binary() + " --log-level warn " + arguments);
  }
  static std::string checkpoint() { return dir_->file("run/t.h5.checkpoint"); }
  static std::string file(const std::string& name) { return dir_->file(name); }

 private:
  static test::ScratchDir* dir_;
};
test::ScratchDir* CheckpointChecks::dir_ = nullptr;

TEST_F(CheckpointChecks, ResumedWhereTheDataIsTheSameItRuns) {
  // Same bytes under another directory: what matters is the data, not where it lies.
  data_dir("copy");
  const auto result = in("copy", "resume " + checkpoint() + " -o r.h5 --quiet");
  EXPECT_EQ(result.exit_code, 0) << result.output;
}

TEST_F(CheckpointChecks, ResumedOnOtherValidDataOfAnotherSizeItIsRefused) {
  const auto data = file("bigger/data");
  fs::create_directories(data);
  test::write_idx_directory(data, 2100, 200, false);  // valid, 100 more images
  const auto result = in("bigger", "resume " + checkpoint() + " -o r.h5 --quiet");
  EXPECT_EQ(result.exit_code, 2) << result.output;
  EXPECT_TRUE(single_error_line(result.output)) << result.output;
  EXPECT_EQ(result.output.rfind("error: data/train-images-idx3-ubyte: ", 0), 0u) << result.output;
  EXPECT_NE(result.output.find("bytes, but the run checkpointed in"), std::string::npos)
      << result.output;
  EXPECT_FALSE(fs::exists(file("bigger/r.h5")));
}

TEST_F(CheckpointChecks, ResumedOnOtherDataOfTheSameSizeItIsRefused) {
  const auto data = data_dir("edited");
  auto labels = test::idx_labels(2000);
  std::swap(labels[8], labels[9]);  // two labels exchanged: a valid file of the same size
  test::write_bytes(data + "/train-labels-idx1-ubyte", labels);
  const auto result = in("edited", "resume " + checkpoint() + " -o r.h5 --quiet");
  EXPECT_EQ(result.exit_code, 2) << result.output;
  EXPECT_TRUE(single_error_line(result.output)) << result.output;
  EXPECT_EQ(result.output.rfind("error: data/train-labels-idx1-ubyte: its content differs", 0),
            0u)
      << result.output;
}

TEST_F(CheckpointChecks, ACheckpointOfAnotherBuildIsRefusedNamingBothCommits) {
  CheckpointFile other = read_checkpoint_file(checkpoint());
  other.build_commit = "0123456789abcdef0123456789abcdef01234567";
  write_checkpoint_file(file("other-build.ckpt"), other);
  auto result = in("run", "resume " + file("other-build.ckpt") + " -o r1.h5 --quiet");
  EXPECT_EQ(result.exit_code, 2) << result.output;
  EXPECT_TRUE(single_error_line(result.output)) << result.output;
  EXPECT_NE(result.output.find("(commit 0123456789abcdef0123456789abcdef01234567)"),
            std::string::npos)
      << result.output;
  EXPECT_NE(result.output.find("resume it with that build"), std::string::npos) << result.output;

  other.build_commit = "unknown (not a git checkout)";
  write_checkpoint_file(file("no-git.ckpt"), other);
  result = in("run", "resume " + file("no-git.ckpt") + " -o r2.h5 --quiet");
  EXPECT_EQ(result.exit_code, 2) << result.output;
  EXPECT_TRUE(single_error_line(result.output)) << result.output;
  EXPECT_NE(result.output.find("built outside a git checkout"), std::string::npos)
      << result.output;
}

}  // namespace
}  // namespace poisonsim
