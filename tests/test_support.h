#pragma once
// Helpers the suites share: scratch directories, tiny files, running the CLI.
#include <cstdint>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "pipeline/data/dataset.h"
#include "sim/util/error.h"

namespace poisonsim::test {

// A fresh empty directory under the system temp dir, removed when the object dies.
class ScratchDir {
 public:
  ScratchDir();
  ~ScratchDir();
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;
  const std::string& path() const { return path_; }
  std::string file(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

void write_bytes(const std::string& path, const std::vector<uint8_t>& bytes);
void write_gzip(const std::string& path, const std::vector<uint8_t>& bytes);
void write_text(const std::string& path, const std::string& text);
std::string read_text(const std::string& path);

// IDX files for `count` images of rows x cols with deterministic pixels and labels i % 10.
std::vector<uint8_t> idx_images(uint32_t count, uint32_t rows, uint32_t cols);
std::vector<uint8_t> idx_labels(uint32_t count);

// Writes the four MNIST-format files (train: n_train, test: n_test), gzipped or raw.
void write_idx_directory(const std::string& dir, uint32_t n_train, uint32_t n_test, bool gzip);

// A small learnable data set (see pipeline/data/synthetic.h).
TrainTestData small_synthetic(int64_t train = 600, int64_t test = 200,
                              ImageShape shape = {1, 28, 28});

struct CommandResult {
  int exit_code = -1;
  std::string output;  // stdout and stderr together
};
// Runs the poisonsim binary with the given arguments (a shell-quoted string).
CommandResult run_poisonsim(const std::string& arguments);
// The same under `env ENVIRONMENT` (e.g. "-u OMP_WAIT_POLICY OPENBLAS_CORETYPE=Haswell").
CommandResult run_poisonsim_with_env(const std::string& environment, const std::string& arguments);
// Runs a shell command line (e.g. `mpirun ... <binary> ...`), stderr into the output.
CommandResult run_command(const std::string& command_line);
// The poisonsim binary under test.
std::string poisonsim_binary();

// Expects `fn` to throw a UserError whose message names `where` and contains `fragment`.
template <class Fn>
void expect_user_error(Fn&& fn, const std::string& where, const std::string& fragment) {
  try {
    fn();
    ADD_FAILURE() << "expected a UserError mentioning '" << fragment << "'";
  } catch (const UserError& e) {
    const std::string message = e.what();
    EXPECT_NE(message.find(where), std::string::npos) << message;
    EXPECT_NE(message.find(fragment), std::string::npos) << message;
  }
}

// Fashion-MNIST location, or "" when it is not installed. When POISONSIM_REQUIRE_REAL_DATA is
// set (CI sets it) a missing data set fails the calling test instead of skipping it.
std::string fashion_mnist_dir();

}  // namespace poisonsim::test
