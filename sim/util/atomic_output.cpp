#include "sim/util/atomic_output.h"

#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>

#include <fmt/format.h>

#include "sim/util/error.h"

namespace poisonsim {
namespace {

namespace fs = std::filesystem;

// A write lock on the whole file, owned by the open file description (not the process), so a
// lock taken by HDF5 or by another thread's handle does not interfere.
bool lock_whole_file(int fd) {
  struct flock lock {};
  lock.l_type = F_WRLCK;
  lock.l_whence = SEEK_SET;
  return ::fcntl(fd, F_OFD_SETLK, &lock) == 0;
}

}  // namespace

std::string partial_path(const std::string& path) { return path + ".partial"; }

std::string written_or_in_progress(const std::string& path) {
  std::error_code ec;
  if (fs::exists(path, ec) || !fs::exists(partial_path(path), ec)) return path;
  fmt::print(stderr, "note: {} is still being written (or its run was killed); reading {}\n", path,
             partial_path(path));
  return partial_path(path);
}

AtomicOutput::AtomicOutput(std::string path, Existing existing)
    : path_(std::move(path)), temporary_(partial_path(path_)), existing_(existing) {
  std::error_code ec;
  const auto status = fs::status(path_, ec);
  if (fs::exists(status)) {
    if (fs::is_directory(status)) throw UserError(path_, "is a directory, expected a file path");
    if (existing_ == Existing::refuse)
      throw UserError(path_,
                      "exists already: choose another output, or pass --force to replace it");
  }
  const auto parent = fs::path(path_).parent_path();
  if (!parent.empty()) {
    fs::create_directories(parent, ec);
    if (ec)
      throw UserError(
          path_, fmt::format("cannot create the directory {}: {}", parent.string(), ec.message()));
  }
  lock_fd_ = ::open(temporary_.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (lock_fd_ < 0)
    throw UserError(path_, fmt::format("cannot create the temporary file {}: {}", temporary_,
                                       std::strerror(errno)));
  if (!lock_whole_file(lock_fd_)) {
    const int error = errno;
    ::close(lock_fd_);
    lock_fd_ = -1;
    if (error == EAGAIN || error == EACCES)
      throw UserError(path_, fmt::format("another process is writing it (its temporary file {} "
                                         "is locked): wait for it to finish, or choose another "
                                         "output",
                                         temporary_));
    throw UserError(path_, fmt::format("cannot lock the temporary file {}: {}", temporary_,
                                       std::strerror(error)));
  }
  // What a killed writer left there is not ours to keep.
  if (::ftruncate(lock_fd_, 0) != 0)
    throw UserError(path_, fmt::format("cannot truncate the temporary file {}: {}", temporary_,
                                       std::strerror(errno)));
}

AtomicOutput::~AtomicOutput() {
  if (!committed_ && !keep_) ::unlink(temporary_.c_str());
  if (lock_fd_ >= 0) ::close(lock_fd_);
}

void AtomicOutput::commit() {
  if (committed_) return;
  int result = 0;
  if (existing_ == Existing::refuse) {
    result = ::renameat2(AT_FDCWD, temporary_.c_str(), AT_FDCWD, path_.c_str(), RENAME_NOREPLACE);
    if (result != 0 && errno == EINVAL) {
      // A filesystem without RENAME_NOREPLACE: check, then rename (a narrow window remains).
      std::error_code ec;
      if (fs::exists(path_, ec))
        errno = EEXIST;
      else
        result = ::rename(temporary_.c_str(), path_.c_str());
    }
  } else {
    result = ::rename(temporary_.c_str(), path_.c_str());
  }
  if (result != 0) {
    if (errno == EEXIST) {
      keep_ = true;  // keep the result where it is rather than lose it
      throw UserError(path_, fmt::format("appeared while this run was writing it; the result is "
                                         "kept in {}",
                                         temporary_));
    }
    throw UserError(path_,
                    fmt::format("cannot move {} into place: {}", temporary_, std::strerror(errno)));
  }
  committed_ = true;
}

void AtomicOutput::commit_text(const std::string& text) {
  {
    std::ofstream out(temporary_, std::ios::binary | std::ios::trunc);
    out << text;
    out.close();
    if (!out) throw UserError(path_, "cannot write the file (disk full?)");
  }
  commit();
}

}  // namespace poisonsim
