#pragma once
// Open-file-description locks (fcntl F_OFD_*) and the identity check that goes with them: the
// reservations of outputs (sim/util/atomic_output.h) and of sweeps (tools/sweep/sweep_lock.h).
// An OFD lock belongs to the open file description, not the process, so a lock HDF5 takes on its
// own handle does not interfere, children that inherit the descriptor hold it too, and the kernel
// drops it when the last holder is gone, whatever killed it.
#include <sys/types.h>

#include <string>

namespace poisonsim {

// A write lock on `length` bytes of `fd` from `start` (length 0: to the end, whatever the file's
// size), without waiting. False when another description holds an overlapping lock (errno EAGAIN
// or EACCES) or the lock cannot be taken (errno says why).
bool try_write_lock(int fd, off_t start = 0, off_t length = 0);

// A read lock, as try_write_lock: it coexists with other read locks and excludes write locks
// (on a description that holds a write lock there, it replaces it at once: a downgrade).
bool try_read_lock(int fd, off_t start = 0, off_t length = 0);

// Whether some writer holds a write lock on the regular file at `path` (opened without following
// a link, and without blocking on a FIFO). A read lock counts too (an MPI sweep's ranks hold
// theirs as read locks, tools/sweep/sweep_lock.h).
bool locked_by_a_writer(const std::string& path);

// Whether `fd` is still the regular file named `path` (not followed if a link): a file removed or
// replaced under its name since it was opened is no longer reserved by a lock on `fd`.
bool still_named(int fd, const std::string& path);

// Creates `path`'s directory, opens the regular file at `path` (created if missing, never through
// a link) and write-locks `length` bytes from `start` (0: to the end) without waiting. Returns
// the descriptor, or -1 when another description holds an overlapping lock (errno EAGAIN or
// EACCES). `inherited`: children started later hold the lock too (no O_CLOEXEC). A file removed
// between the open and the lock (its last holder released and removed it) is opened again: a
// lock on a removed file reserves nothing. UserError naming the file (`what` says what it is,
// e.g. "the sweep's lock") when it cannot be created, opened or locked, or is not a regular file.
// `shared`: a read lock instead (try_read_lock), held by several descriptions at once.
int open_locked(const std::string& path, const std::string& what, off_t start = 0,
                off_t length = 0, bool inherited = false, bool shared = false);

// A lock file held for this object's life, for a reservation that outlives any one write (a
// run's checkpoint, replaced at every checkpoint, cannot carry its own lock). The file is removed
// when released, so a run that ends leaves nothing behind; one left by a killed holder is not
// locked and is taken over.
class LockFile {
 public:
  // Locks all of `path` (open_locked). locked() is false when another holder has it.
  LockFile(std::string path, const std::string& what);
  // Removes the file if it is still the one locked here, then releases the lock.
  ~LockFile();
  LockFile(const LockFile&) = delete;
  LockFile& operator=(const LockFile&) = delete;

  bool locked() const { return fd_ >= 0; }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
  int fd_ = -1;
};

}  // namespace poisonsim
