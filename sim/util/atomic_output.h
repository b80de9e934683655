#pragma once
// Every file poisonsim writes goes through one of these: it is written under a temporary name
// beside its final path (`PATH.partial`) and renamed into place only when complete, so
//   - a reader of PATH never sees half a file, and a run that fails leaves an existing PATH as
//     it was (`--force` replaces it only at the rename);
//   - a second writer of the same PATH fails at once, before doing any work: the first one
//     holds a lock on the temporary file for as long as it writes (an open-file-description
//     lock, independent of the flock() that HDF5 takes on its own handle).
// The temporary is created new (O_CREAT|O_EXCL|O_NOFOLLOW): nothing already at its name is
// followed, truncated or removed. A `PATH.partial` left by a killed writer (unlocked) is kept
// for whoever reads it, with a note, and this writer uses `PATH.partial.XXXXXX` instead.
// Only a regular file or nothing at PATH is replaced; a symbolic link there is refused (never
// written through), and a FIFO or character device is written straight where the output allows
// it (JSON) and refused elsewhere. docs/security.md states the guarantees.
#include <string>

namespace poisonsim {

class AtomicOutput {
 public:
  enum class Existing { refuse, replace };
  // reserved: the temporary is PATH.partial (readers of a run in progress look there) and a
  // second writer fails. unique: always PATH.partial.XXXXXX, for files several writers may
  // produce at once, the last rename winning (sweep parts shared by hosts).
  enum class Temporary { reserved, unique };
  // Whether a FIFO or character device at PATH (`--json /dev/null`) is written straight, or
  // refused because the output must be a file (an HDF5 trace, a model).
  enum class Streams { refuse, write_straight };

  // Creates the parent directory and the locked temporary file. UserError naming `path` when
  // it exists and `existing` is refuse, when it is not a regular file (see above), when another
  // process is writing it, or when the temporary file cannot be created.
  AtomicOutput(std::string path, Existing existing, Temporary temporary = Temporary::reserved,
               Streams streams = Streams::refuse);
  // The checks of the constructor on what is at `path`, without creating anything: for outputs
  // reserved later (a sweep file, written when its runs are done), checked at start. Returns
  // whether it would be written straight (a FIFO or device, Streams::write_straight).
  static bool check_path(const std::string& path, Existing existing,
                         Streams streams = Streams::refuse);
  // Removes the temporary file (if it is still the one created here) unless commit() ran.
  ~AtomicOutput();
  AtomicOutput(const AtomicOutput&) = delete;
  AtomicOutput& operator=(const AtomicOutput&) = delete;

  const std::string& path() const { return path_; }
  // Where to write; the writer must have closed its own handles on it before commit().
  const std::string& temporary_path() const { return temporary_; }
  // True when PATH is a FIFO or device written straight: only commit_text() may be used.
  bool writes_straight() const { return straight_; }

  // Makes the temporary file durable (fsync, checked) and moves it to path(). With
  // Existing::refuse, a path() that appeared in the meantime is not replaced: UserError, and
  // the result stays at temporary_path().
  void commit();
  // Leaves the temporary file where it is when this object dies (a failed run's partial
  // result, which the error message points to).
  void keep_temporary() { keep_ = true; }

  // Appends `bytes` to the temporary file through the descriptor created here (every write
  // checked; the name is not opened again).
  void write(const std::string& bytes);
  // Writes `bytes` as the whole file, then commit(); to a FIFO or device, writes them straight
  // (JSON, models and other outputs held in memory).
  void commit_text(const std::string& bytes);

 private:
  void create_temporary(Temporary temporary);
  bool temporary_is_ours() const;

  std::string path_;
  std::string temporary_;
  Existing existing_;
  int fd_ = -1;  // the temporary, created here and locked
  bool straight_ = false;
  bool committed_ = false;
  bool keep_ = false;
};

// The temporary name a reserved AtomicOutput writes `path` under: readers of a run in progress
// use it.
std::string partial_path(const std::string& path);

// `path` if it exists; else the temporary of a writer at work on it (PATH.partial, or
// PATH.partial.XXXXXX when a stale PATH.partial was kept), else a stale PATH.partial, with a
// note on stderr saying which; else `path` (whose absence the reader then reports).
std::string written_or_in_progress(const std::string& path);

}  // namespace poisonsim
