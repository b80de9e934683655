#include "pipeline/data/file_bytes.h"

#include <zlib.h>

#include <filesystem>
#include <memory>

#include <fmt/format.h>

#include "sim/util/error.h"
#include "sim/util/file_checks.h"

namespace poisonsim {

std::vector<uint8_t> read_file_bytes(const std::string& path, uint64_t max_bytes) {
  require_regular_file(path, "a data file");
  // gzopen reads plain files as they are, so one path serves raw and .gz data.
  std::unique_ptr<gzFile_s, int (*)(gzFile)> file(gzopen(path.c_str(), "rb"), gzclose);
  if (!file) throw UserError(path, "cannot open for reading");
  std::vector<uint8_t> bytes;
  constexpr unsigned kChunk = 1 << 20;
  for (;;) {
    const size_t old_size = bytes.size();
    bytes.resize(old_size + kChunk);
    const int got = gzread(file.get(), bytes.data() + old_size, kChunk);
    if (got < 0) {
      int code = 0;
      const char* message = gzerror(file.get(), &code);
      throw UserError(path, fmt::format("corrupt or unreadable ({})", message ? message : "?"));
    }
    bytes.resize(old_size + static_cast<size_t>(got));
    if (bytes.size() > max_bytes)
      throw UserError(
          path, fmt::format("larger than {} bytes, not a data file this tool reads", max_bytes));
    if (got == 0) break;
  }
  int code = 0;
  const char* message = gzerror(file.get(), &code);
  if (code != Z_OK && code != Z_STREAM_END)
    throw UserError(path, fmt::format("corrupt compressed data ({})", message ? message : "?"));
  return bytes;
}

std::string find_first_existing(const std::string& directory,
                                const std::vector<std::string>& candidates) {
  std::error_code ec;
  for (const auto& name : candidates) {
    const auto path = std::filesystem::path(directory) / name;
    if (std::filesystem::is_regular_file(path, ec)) return path.string();
  }
  return "";
}

}  // namespace poisonsim
