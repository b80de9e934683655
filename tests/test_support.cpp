#include "tests/test_support.h"

#include <zlib.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include <gtest/gtest.h>

#include "pipeline/data/synthetic.h"

namespace poisonsim::test {
namespace fs = std::filesystem;

ScratchDir::ScratchDir() {
  std::string pattern = (fs::temp_directory_path() / "poisonsim-test-XXXXXX").string();
  if (!mkdtemp(pattern.data())) throw std::runtime_error("mkdtemp failed");
  path_ = pattern;
}

ScratchDir::~ScratchDir() {
  std::error_code ec;
  fs::remove_all(path_, ec);
}

void write_bytes(const std::string& path, const std::vector<uint8_t>& bytes) {
  std::ofstream out(path, std::ios::binary);
  out.write(reinterpret_cast<const char*>(bytes.data()),
            static_cast<std::streamsize>(bytes.size()));
  if (!out) throw std::runtime_error("cannot write " + path);
}

void write_gzip(const std::string& path, const std::vector<uint8_t>& bytes) {
  gzFile file = gzopen(path.c_str(), "wb");
  if (!file) throw std::runtime_error("cannot write " + path);
  if (!bytes.empty()) gzwrite(file, bytes.data(), static_cast<unsigned>(bytes.size()));
  gzclose(file);
}

void write_text(const std::string& path, const std::string& text) {
  write_bytes(path, std::vector<uint8_t>(text.begin(), text.end()));
}

std::string read_text(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

namespace {
void put_be32(std::vector<uint8_t>& out, uint32_t v) {
  for (int shift = 24; shift >= 0; shift -= 8) out.push_back(static_cast<uint8_t>(v >> shift));
}
}  // namespace

std::vector<uint8_t> idx_images(uint32_t count, uint32_t rows, uint32_t cols) {
  std::vector<uint8_t> out;
  put_be32(out, 0x00000803);
  put_be32(out, count);
  put_be32(out, rows);
  put_be32(out, cols);
  for (uint32_t i = 0; i < count * rows * cols; ++i) out.push_back(static_cast<uint8_t>(i * 7));
  return out;
}

std::vector<uint8_t> idx_labels(uint32_t count) {
  std::vector<uint8_t> out;
  put_be32(out, 0x00000801);
  put_be32(out, count);
  for (uint32_t i = 0; i < count; ++i) out.push_back(static_cast<uint8_t>(i % 10));
  return out;
}

void write_idx_directory(const std::string& dir, uint32_t n_train, uint32_t n_test, bool gzip) {
  auto write = [&](const std::string& name, const std::vector<uint8_t>& bytes) {
    if (gzip)
      write_gzip(dir + "/" + name + ".gz", bytes);
    else
      write_bytes(dir + "/" + name, bytes);
  };
  write("train-images-idx3-ubyte", idx_images(n_train, 28, 28));
  write("train-labels-idx1-ubyte", idx_labels(n_train));
  write("t10k-images-idx3-ubyte", idx_images(n_test, 28, 28));
  write("t10k-labels-idx1-ubyte", idx_labels(n_test));
}

TrainTestData small_synthetic(int64_t train, int64_t test, ImageShape shape) {
  SyntheticSpec spec;
  spec.train_size = train;
  spec.test_size = test;
  spec.shape = shape;
  spec.seed = 7;
  return make_synthetic(spec);
}

CommandResult run_poisonsim(const std::string& arguments) {
  return run_command(poisonsim_binary() + " " + arguments);
}

CommandResult run_poisonsim_with_env(const std::string& environment, const std::string& arguments) {
  return run_command("env " + environment + " " + poisonsim_binary() + " " + arguments);
}

std::string poisonsim_binary() { return POISONSIM_BINARY_PATH; }

CommandResult run_command(const std::string& command_line) {
  const std::string command = command_line + " 2>&1";
  CommandResult result;
  FILE* pipe = popen(command.c_str(), "r");
  if (!pipe) throw std::runtime_error("popen failed");
  char buffer[4096];
  size_t got = 0;
  while ((got = fread(buffer, 1, sizeof buffer, pipe)) > 0) result.output.append(buffer, got);
  const int status = pclose(pipe);
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return result;
}

std::string fashion_mnist_dir() {
  const std::string dir = "/usr/share/datasets/fashion-mnist";
  if (fs::exists(dir + "/train-images-idx3-ubyte.gz")) return dir;
  if (std::getenv("POISONSIM_REQUIRE_REAL_DATA"))
    ADD_FAILURE() << "Fashion-MNIST is required (POISONSIM_REQUIRE_REAL_DATA) but " << dir
                  << " is missing: run tools/scripts/setup.sh";
  return "";
}

}  // namespace poisonsim::test
