#include "sim/util/file_locks.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

#include <fmt/format.h>

#include "sim/util/error.h"

namespace poisonsim {

namespace {

bool try_lock(int fd, short type, off_t start, off_t length) {
  struct flock lock {};
  lock.l_type = type;
  lock.l_whence = SEEK_SET;
  lock.l_start = start;
  lock.l_len = length;
  return ::fcntl(fd, F_OFD_SETLK, &lock) == 0;
}

}  // namespace

bool try_write_lock(int fd, off_t start, off_t length) {
  return try_lock(fd, F_WRLCK, start, length);
}

bool try_read_lock(int fd, off_t start, off_t length) {
  return try_lock(fd, F_RDLCK, start, length);
}

bool locked_by_a_writer(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) return false;
  struct flock lock {};
  lock.l_type = F_WRLCK;
  lock.l_whence = SEEK_SET;
  const bool locked = ::fcntl(fd, F_OFD_GETLK, &lock) == 0 && lock.l_type != F_UNLCK;
  ::close(fd);
  return locked;
}

bool still_named(int fd, const std::string& path) {
  struct stat held {
  }, named{};
  return fd >= 0 && ::fstat(fd, &held) == 0 && ::lstat(path.c_str(), &named) == 0 &&
         S_ISREG(named.st_mode) && held.st_dev == named.st_dev && held.st_ino == named.st_ino;
}

int open_locked(const std::string& path, const std::string& what, off_t start, off_t length,
                bool inherited, bool shared) {
  const auto parent = std::filesystem::path(path).parent_path();
  for (int attempt = 0; attempt < 10; ++attempt) {
    std::error_code ec;
    if (!parent.empty()) std::filesystem::create_directories(parent, ec);
    if (ec)
      throw UserError(parent.string(),
                      fmt::format("cannot create the directory: {}", ec.message()));
    const int fd = ::open(path.c_str(),
                          O_RDWR | O_CREAT | O_NOFOLLOW | O_NONBLOCK | (inherited ? 0 : O_CLOEXEC),
                          0644);
    if (fd < 0)
      throw UserError(path, fmt::format("cannot open {}: {}", what, std::strerror(errno)));
    struct stat opened = {};
    if (::fstat(fd, &opened) != 0 || !S_ISREG(opened.st_mode)) {
      ::close(fd);
      throw UserError(path, fmt::format("is not a regular file, so it cannot be {}: remove it",
                                        what));
    }
    if (!(shared ? try_read_lock(fd, start, length) : try_write_lock(fd, start, length))) {
      const int error = errno;
      ::close(fd);
      if (error != EAGAIN && error != EACCES)
        throw UserError(path, fmt::format("cannot lock {}: {}", what, std::strerror(error)));
      errno = error;
      return -1;
    }
    if (still_named(fd, path)) return fd;
    ::close(fd);
  }
  throw UserError(path, fmt::format("{} keeps being removed under this process", what));
}

LockFile::LockFile(std::string path, const std::string& what)
    : path_(std::move(path)), fd_(open_locked(path_, what)) {}

LockFile::~LockFile() {
  if (fd_ < 0) return;
  // Removed while still locked: a process that opened it meanwhile finds it gone once it gets
  // the lock (still_named), and starts again on a new file.
  if (still_named(fd_, path_)) ::unlink(path_.c_str());
  ::close(fd_);
}

}  // namespace poisonsim
