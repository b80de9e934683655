#pragma once
// The reservation of a sweep's output for the life of the sweep: a lock on <output>.parts/
// sweep.lock, taken before any run starts. A whole sweep locks the whole file; shard i/N locks
// only byte i, so different shards run together while the same shard twice, or a whole sweep
// and a shard, do not. An MPI sweep is one whole sweep over several processes: rank 0 takes the
// whole lock, then shares it (a read lock) with the other ranks, so every rank's runs hold it
// while any other sweep, shard or merge, all of which need a write lock, is refused. The run
// children inherit the locked
// descriptor, so the lock lasts until the last of them has ended: a sweep killed outright keeps its
// output reserved until its runs (sent SIGTERM, tools/sweep/child_processes.h) have closed their
// traces, and a rerun cannot collide with them. An open-file-description lock (fcntl F_OFD_SETLK):
// released by the kernel when every holder is gone, whatever killed them; no stale lock to clear.
#include <string>

#include "tools/sweep/sweep_plan.h"

namespace poisonsim {

class SweepLock {
 public:
  // Creates the parts directory and locks its sweep.lock: all of it when `shard` is inactive,
  // else the shard's byte. UserError naming `output` when another sweep of it holds that part.
  SweepLock(const std::string& output, const SweepShard& shard);
  // `merge`'s hold on an existing parts directory: all of its sweep.lock, so the sweep file is
  // never assembled while a shard (or a whole sweep) still writes parts there. UserError naming
  // `parts` when one does.
  explicit SweepLock(const std::string& parts);
  // An MPI rank other than 0 joining rank 0's lock, which share() has made a read lock: its
  // runs hold the lock too, as rank 0's do. UserError naming `output` when another sweep holds
  // it (rank 0 would have been refused first).
  struct JoinRankZero {};
  SweepLock(const std::string& output, JoinRankZero);
  // Rank 0, once it holds the whole lock: turns it into a read lock, at once (no moment
  // without a lock), so that the other ranks can join it.
  void share();
  // Releases this process's hold; children still running keep theirs.
  ~SweepLock();
  SweepLock(const SweepLock&) = delete;
  SweepLock& operator=(const SweepLock&) = delete;

 private:
  std::string path_;
  int fd_ = -1;
};

std::string sweep_lock_path(const std::string& parts);

}  // namespace poisonsim
