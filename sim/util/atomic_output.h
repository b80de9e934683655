#pragma once
// Every file poisonsim writes goes through one of these: it is written under a temporary name
// beside its final path (`PATH.partial`) and renamed into place only when complete, so
//   - a reader of PATH never sees half a file, and a run that fails leaves an existing PATH as
//     it was (`--force` replaces it only at the rename);
//   - a second writer of the same PATH fails at once, before doing any work: the first one
//     holds a lock on the temporary file for as long as it writes (an open-file-description
//     lock, independent of the flock() that HDF5 takes on its own handle).
// A temporary file left by a killed writer is unlocked, so the next writer simply reuses it.
#include <string>

namespace poisonsim {

class AtomicOutput {
 public:
  enum class Existing { refuse, replace };

  // Creates the parent directory and the locked temporary file. UserError naming `path` when
  // it exists and `existing` is refuse, when another process is writing it, or when the
  // temporary file cannot be created.
  AtomicOutput(std::string path, Existing existing);
  // Removes the temporary file unless commit() ran.
  ~AtomicOutput();
  AtomicOutput(const AtomicOutput&) = delete;
  AtomicOutput& operator=(const AtomicOutput&) = delete;

  const std::string& path() const { return path_; }
  // Where to write; the writer must have closed its own handles on it before commit().
  const std::string& temporary_path() const { return temporary_; }

  // Moves the temporary file to path(). With Existing::refuse, a path() that appeared in the
  // meantime is not replaced: UserError, and the result stays at temporary_path().
  void commit();
  // Leaves the temporary file where it is when this object dies (a failed run's partial
  // result, which the error message points to).
  void keep_temporary() { keep_ = true; }

  // Writes `text` as the whole file, then commit() (JSON and other small outputs).
  void commit_text(const std::string& text);

 private:
  std::string path_;
  std::string temporary_;
  Existing existing_;
  int lock_fd_ = -1;
  bool committed_ = false;
  bool keep_ = false;
};

// The temporary name AtomicOutput writes `path` under: readers of a run in progress use it.
std::string partial_path(const std::string& path);

// `path` if it exists; else its partial_path() if a writer has that (a run in progress), with a
// note on stderr saying so; else `path` (whose absence the reader then reports).
std::string written_or_in_progress(const std::string& path);

}  // namespace poisonsim
