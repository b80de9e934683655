#include "pipeline/data/data_fingerprint.h"

#include <fstream>
#include <iterator>
#include <sstream>
#include <vector>

#include <fmt/format.h>

#include "sim/kernel/random_stream.h"
#include "sim/util/error.h"
#include "sim/util/file_checks.h"

namespace poisonsim {
namespace {

struct FileFingerprint {
  std::string path;
  uint64_t bytes = 0;
  std::string digest;
};

FileFingerprint fingerprint_file(const std::string& path) {
  require_regular_file(path, "a data file");
  std::ifstream in(path, std::ios::binary);
  const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (!in.good() && !in.eof()) throw UserError(path, "cannot read the data file");
  return {path, bytes.size(), fmt::format("{:016x}", derive_seed(0, bytes))};
}

std::vector<FileFingerprint> parse(const std::string& text, const std::string& where) {
  std::vector<FileFingerprint> files;
  std::istringstream lines(text);
  for (std::string line; std::getline(lines, line);) {
    FileFingerprint f;
    std::istringstream fields(line);
    if (!(fields >> f.bytes >> f.digest) || fields.get() != ' ' || !std::getline(fields, f.path))
      throw UserError(where, fmt::format("its data fingerprint is malformed ('{}')", line));
    files.push_back(f);
  }
  return files;
}

}  // namespace

std::string data_fingerprint(const DataSpec& spec) {
  std::string text;
  for (const auto& path : data_files(spec)) {
    const FileFingerprint f = fingerprint_file(path);
    text += fmt::format("{} {} {}\n", f.bytes, f.digest, f.path);
  }
  return text;
}

void check_data_fingerprint(const std::string& recorded, const DataSpec& spec,
                            const std::string& where) {
  const auto was = parse(recorded, where);
  const auto paths = data_files(spec);
  const std::string advice =
      "resume from the directory the run started in (data.path is relative to it), or "
      "with the same data files";
  if (paths.size() != was.size())
    throw UserError(where, fmt::format("the checkpointed run read {} data files, this data set "
                                       "has {}: {}",
                                       was.size(), paths.size(), advice));
  for (size_t i = 0; i < paths.size(); ++i) {
    const FileFingerprint now = fingerprint_file(paths[i]);
    if (now.bytes != was[i].bytes)
      throw UserError(now.path, fmt::format("{} bytes, but the run checkpointed in {} read {} "
                                            "bytes from {}: not the same data; {}",
                                            now.bytes, where, was[i].bytes, was[i].path, advice));
    if (now.digest != was[i].digest)
      throw UserError(now.path, fmt::format("its content differs from what the run checkpointed "
                                            "in {} read from {} (same size, digest {} instead "
                                            "of {}): not the same data; {}",
                                            where, was[i].path, now.digest, was[i].digest,
                                            advice));
  }
}

}  // namespace poisonsim
