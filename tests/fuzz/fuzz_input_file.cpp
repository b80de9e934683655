#include "tests/fuzz/fuzz_input_file.h"

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <stdexcept>

namespace poisonsim::fuzz {
namespace {

namespace fs = std::filesystem;

// One directory per process, so parallel fuzzing jobs (-jobs=N) never share a file.
struct ScratchDirectory {
  fs::path path;
  ScratchDirectory() {
    const char* tmp = std::getenv("TMPDIR");
    std::string pattern = std::string(tmp && *tmp ? tmp : "/tmp") + "/poisonsim-fuzz-XXXXXX";
    if (!mkdtemp(pattern.data())) throw std::runtime_error("mkdtemp failed for " + pattern);
    path = pattern;
  }
  ~ScratchDirectory() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
};

}  // namespace

std::string write_scratch_file(const std::string& name, const uint8_t* data, size_t size) {
  static ScratchDirectory directory;
  const std::string path = (directory.path / name).string();
  std::FILE* file = std::fopen(path.c_str(), "wb");
  if (!file) throw std::runtime_error("cannot write " + path);
  const bool written = size == 0 || std::fwrite(data, 1, size, file) == size;
  if (std::fclose(file) != 0 || !written) throw std::runtime_error("cannot write " + path);
  return path;
}

}  // namespace poisonsim::fuzz
