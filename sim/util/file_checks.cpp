#include "sim/util/file_checks.h"

#include <filesystem>

#include "sim/util/error.h"

namespace poisonsim {

void require_regular_file(const std::string& path, const std::string& expected) {
  namespace fs = std::filesystem;
  std::error_code ec;
  const auto status = fs::status(path, ec);
  if (ec || status.type() == fs::file_type::not_found)
    throw UserError(path, "no such file (expected " + expected + ")");
  if (status.type() == fs::file_type::directory)
    throw UserError(path, "is a directory, expected " + expected);
  if (status.type() != fs::file_type::regular)
    throw UserError(path, "is not a regular file (a FIFO, device or socket), expected " + expected);
}

bool same_file(const std::string& a, const std::string& b) {
  namespace fs = std::filesystem;
  std::error_code ea, eb;
  if (fs::exists(a, ea) && fs::exists(b, eb)) return fs::equivalent(a, b, ea) && !ea;
  const auto resolved = [](const std::string& path) {
    std::error_code ec;
    const auto absolute = fs::absolute(path, ec);
    const auto canonical = fs::weakly_canonical(absolute, ec);
    return ec ? absolute.lexically_normal() : canonical;
  };
  return resolved(a) == resolved(b);
}

}  // namespace poisonsim
