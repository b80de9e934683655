#include "pipeline/data/npz_archive.h"

#include <zip.h>

#include <memory>

#include <fmt/format.h>

#include "sim/util/error.h"
#include "sim/util/file_checks.h"

namespace poisonsim {

struct NpzArchive::Zip {
  zip_t* archive = nullptr;
};

namespace {

constexpr const char* kSuffix = ".npy";

std::string open_error(int code) {
  zip_error_t error;
  zip_error_init_with_code(&error, code);
  std::string text = zip_error_strerror(&error);
  zip_error_fini(&error);
  return text;
}

}  // namespace

NpzArchive::NpzArchive(const std::string& path) : path_(path), zip_(new Zip) {
  std::unique_ptr<Zip> owner(zip_);
  require_regular_file(path, "a NumPy .npz file");
  int code = 0;
  // ZIP_CHECKCONS: a central directory that disagrees with the local headers is refused here.
  zip_->archive = zip_open(path.c_str(), ZIP_RDONLY | ZIP_CHECKCONS, &code);
  if (!zip_->archive)
    throw UserError(path, fmt::format("not a readable .npz (zip) file: {}", open_error(code)));
  owner.release();
}

NpzArchive::~NpzArchive() {
  zip_discard(zip_->archive);  // read-only: nothing to write back
  delete zip_;
}

std::vector<std::string> NpzArchive::names() const {
  std::vector<std::string> out;
  const zip_int64_t n = zip_get_num_entries(zip_->archive, 0);
  for (zip_int64_t i = 0; i < n; ++i) {
    const char* name = zip_get_name(zip_->archive, static_cast<zip_uint64_t>(i), 0);
    if (!name) continue;
    std::string text = name;
    if (text.size() > 4 && text.compare(text.size() - 4, 4, kSuffix) == 0)
      out.push_back(text.substr(0, text.size() - 4));
  }
  return out;
}

bool NpzArchive::has(const std::string& name) const {
  return zip_name_locate(zip_->archive, (name + kSuffix).c_str(), 0) >= 0;
}

NumericArray NpzArchive::read(const std::string& name) const {
  const std::string where = fmt::format("{}: {}", path_, name);
  const zip_int64_t index = zip_name_locate(zip_->archive, (name + kSuffix).c_str(), 0);
  if (index < 0) {
    const auto found = names();
    throw UserError(where, found.empty()
                               ? std::string("no array of this name (the archive holds no .npy)")
                               : fmt::format("no array of this name (the file has: {})",
                                             fmt::join(found, ", ")));
  }
  zip_stat_t stat;
  zip_stat_init(&stat);
  if (zip_stat_index(zip_->archive, static_cast<zip_uint64_t>(index), 0, &stat) != 0 ||
      !(stat.valid & ZIP_STAT_SIZE))
    throw UserError(where, fmt::format("cannot read its size: {}", zip_strerror(zip_->archive)));
  // A member larger than any array we read is refused before it is read.
  constexpr uint64_t kMaxHeader = 1 << 20;
  if (stat.size > kMaxArrayBytes + kMaxHeader)
    throw UserError(where, fmt::format("{} bytes, more than an array of a poison file may hold "
                                       "({} bytes)",
                                       stat.size, kMaxArrayBytes));
  std::unique_ptr<zip_file_t, int (*)(zip_file_t*)> file(
      zip_fopen_index(zip_->archive, static_cast<zip_uint64_t>(index), 0), zip_fclose);
  if (!file)
    throw UserError(where,
                    fmt::format("cannot open it in the archive: {}", zip_strerror(zip_->archive)));
  // Grown as bytes arrive rather than allocated at the claimed size: a forged directory entry
  // can claim gigabytes for a few bytes of data.
  std::vector<uint8_t> bytes;
  constexpr uint64_t kChunk = 1 << 20;
  while (bytes.size() <= stat.size) {
    const size_t old_size = bytes.size();
    bytes.resize(old_size + kChunk);
    const zip_int64_t got = zip_fread(file.get(), bytes.data() + old_size, kChunk);
    if (got < 0)
      throw UserError(where,
                      fmt::format("corrupt archive member: {}", zip_file_strerror(file.get())));
    bytes.resize(old_size + static_cast<size_t>(got));
    if (got == 0) break;
  }
  // libzip checks the CRC once the member is read to its end.
  if (bytes.size() != stat.size)
    throw UserError(where, fmt::format("corrupt archive member: {} bytes where its entry says {}",
                                       bytes.size(), stat.size));
  return parse_npy(bytes, where);
}

}  // namespace poisonsim
