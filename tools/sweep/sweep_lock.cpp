#include "tools/sweep/sweep_lock.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

#include <fmt/format.h>

#include "sim/util/error.h"
#include "sim/util/file_locks.h"
#include "tools/sweep/sweep_runner.h"

namespace poisonsim {

std::string sweep_lock_path(const std::string& parts) { return parts + "/sweep.lock"; }

SweepLock::SweepLock(const std::string& output, const SweepShard& shard) {
  const std::string parts = sweep_parts_dir(output);
  const std::string path = sweep_lock_path(parts);
  for (int attempt = 0; attempt < 10; ++attempt) {
    std::error_code ec;
    std::filesystem::create_directories(parts, ec);
    if (ec) throw UserError(parts, fmt::format("cannot create the directory: {}", ec.message()));
    // Not O_CLOEXEC: the run children inherit it, and with it the lock (see the header).
    const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_NOFOLLOW | O_NONBLOCK, 0644);
    if (fd < 0)
      throw UserError(path, fmt::format("cannot open the sweep's lock: {}", std::strerror(errno)));
    struct stat opened = {};
    if (::fstat(fd, &opened) != 0 || !S_ISREG(opened.st_mode)) {
      ::close(fd);
      throw UserError(path, "is not a regular file, so it cannot be the sweep's lock: remove it");
    }
    // The shard's byte, or (length 0) the whole file whatever its size.
    const bool locked = shard.active() ? try_write_lock(fd, static_cast<off_t>(shard.index), 1)
                                       : try_write_lock(fd);
    if (!locked) {
      const int error = errno;
      ::close(fd);
      if (error != EAGAIN && error != EACCES)
        throw UserError(path, fmt::format("cannot lock it: {}", std::strerror(error)));
      throw UserError(output, fmt::format("another sweep of it{} is running ({} is locked), or "
                                          "the runs of one that was killed are still ending: "
                                          "wait for it, or give this sweep another -o",
                                          shard.active() ? " (or this shard)" : "", path));
    }
    // A sweep that finished may have removed the parts directory between our open and our
    // lock, and a lock on a removed file reserves nothing.
    if (still_named(fd, path)) {
      fd_ = fd;
      return;
    }
    ::close(fd);
  }
  throw UserError(path, "the parts directory keeps being removed under this sweep");
}

SweepLock::~SweepLock() {
  if (fd_ >= 0) ::close(fd_);
}

}  // namespace poisonsim
