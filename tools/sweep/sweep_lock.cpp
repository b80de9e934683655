#include "tools/sweep/sweep_lock.h"

#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <fmt/format.h>

#include "sim/util/error.h"
#include "sim/util/file_locks.h"
#include "tools/sweep/sweep_runner.h"

namespace poisonsim {

std::string sweep_lock_path(const std::string& parts) { return parts + "/sweep.lock"; }

SweepLock::SweepLock(const std::string& output, const SweepShard& shard)
    : path_(sweep_lock_path(sweep_parts_dir(output))) {
  const std::string& path = path_;
  // Inherited: the run children hold it too (see the header). The shard's byte, or (length 0)
  // the whole file whatever its size.
  fd_ = shard.active() ? open_locked(path, "the sweep's lock", static_cast<off_t>(shard.index), 1,
                                     true)
                       : open_locked(path, "the sweep's lock", 0, 0, true);
  if (fd_ < 0)
    throw UserError(output, fmt::format("another sweep of it{} is running ({} is locked), or "
                                        "the runs of one that was killed are still ending: "
                                        "wait for it, or give this sweep another -o",
                                        shard.active() ? " (or this shard)" : "", path));
}

SweepLock::SweepLock(const std::string& output, JoinRankZero)
    : path_(sweep_lock_path(sweep_parts_dir(output))) {
  const std::string& path = path_;
  fd_ = open_locked(path, "the sweep's lock", 0, 0, true, true);  // inherited, shared
  if (fd_ < 0)
    throw UserError(output, fmt::format("another sweep of it is running ({} is locked): wait "
                                        "for it, or give this sweep another -o",
                                        path));
}

void SweepLock::share() {
  if (!try_read_lock(fd_))
    throw UserError(path_, fmt::format("cannot share the sweep's lock with the other MPI ranks: {}",
                                       std::strerror(errno)));
}

SweepLock::SweepLock(const std::string& parts) : path_(sweep_lock_path(parts)) {
  // Every byte: no shard of the sweep may still be writing its parts.
  const std::string& path = path_;
  const bool busy = ::access(parts.c_str(), W_OK) == 0
                        ? (fd_ = open_locked(path, "the sweep's lock")) < 0
                        // Parts copied read-only from another host: no shard writes there, but
                        // a look costs nothing.
                        : locked_by_a_writer(path);
  if (busy)
    throw UserError(parts, fmt::format("a sweep (or a shard of it) writing these parts is still "
                                       "running ({} is locked): wait for it to finish, then "
                                       "merge",
                                       path));
}

SweepLock::~SweepLock() {
  if (fd_ >= 0) ::close(fd_);
}

}  // namespace poisonsim
