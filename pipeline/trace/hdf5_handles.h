#pragma once
// RAII for HDF5 identifiers and the one way HDF5 failures become exceptions. Only the trace
// sources (and tests that forge odd files) include this: it pulls in <hdf5.h>.
#include <hdf5.h>

#include <string>
#include <utility>

namespace poisonsim::hdf5 {

// Owns one identifier and closes it with the matching H5?close function.
class Hid {
 public:
  using Closer = herr_t (*)(hid_t);
  Hid() = default;
  Hid(hid_t id, Closer close) : id_(id), close_(close) {}
  ~Hid() { reset(); }
  Hid(Hid&& other) noexcept
      : id_(std::exchange(other.id_, H5I_INVALID_HID)), close_(other.close_) {}
  Hid& operator=(Hid&& other) noexcept {
    if (this != &other) {
      reset();
      id_ = std::exchange(other.id_, H5I_INVALID_HID);
      close_ = other.close_;
    }
    return *this;
  }
  Hid(const Hid&) = delete;
  Hid& operator=(const Hid&) = delete;

  hid_t get() const { return id_; }
  bool valid() const { return id_ >= 0; }
  // Closes now; errors are ignored (nothing useful can be done with them here).
  void reset() {
    if (id_ >= 0 && close_) close_(id_);
    id_ = H5I_INVALID_HID;
  }
  // Forgets the identifier without closing it. After a failed write, closing would flush HDF5's
  // caches into a file that can no longer hold them and break what is on disk (see
  // TraceWriter); an abandoned handle is never flushed (no library shutdown at exit, below).
  void abandon() { id_ = H5I_INVALID_HID; }

 private:
  hid_t id_ = H5I_INVALID_HID;
  Closer close_ = nullptr;
};

// An open file shared by the TraceFile handle and every writer using it, so the file stays open
// until the last of them is done.
struct OpenFile {
  Hid id;
  std::string path;
};

// Stops HDF5 from printing its error stack on stderr. The setting is per thread in thread-safe
// builds (Debian's), so every entry point calls this; it is cheap after the first call.
void silence_errors();

// The most specific message on HDF5's error stack (for system errors just the errno text, e.g.
// "No such file or directory"); clears the stack.
std::string error_detail();

[[noreturn]] void throw_user_error(const std::string& where, const std::string& what);
[[noreturn]] void throw_logic_error(const char* what);

// Throws UserError(where, what + ": " + error_detail()) when `status` is negative.
template <class T>
T check(T status, const std::string& where, const std::string& what) {
  if (status < 0) throw_user_error(where, what);
  return status;
}

// For calls that fail only through a bug (building types, property lists): std::logic_error.
template <class T>
T must(T status, const char* what) {
  if (status < 0) throw_logic_error(what);
  return status;
}

// Checks a new identifier and takes ownership of it.
inline Hid owned(hid_t id, Hid::Closer close, const std::string& where, const std::string& what) {
  return Hid(check(id, where, what), close);
}

// Flushes and closes a file this process wrote, both checked (a full disk or a file-size limit
// often shows only here): UserError(where, what + ": " + error_detail()).
void flush_and_close(Hid& file, const std::string& where, const std::string& what);

// Opens `path` read-only without HDF5's file locking; reading cannot harm it. A trace that a run
// is still writing in SWMR mode (or whose run died) is marked as open for writing, which a plain
// open refuses: it is then opened for SWMR reading, which sees everything up to the writer's
// last flush (is_swmr_read() says which). HDF5 refuses an unlocked open of a file this process
// already has open with locking (a writer here): then it opens it as it is. UserError(path,
// what_failed + ...) when nothing works.
Hid open_read_only(const std::string& path, const std::string& what_failed);
// Whether `file` was opened for SWMR reading (its datasets then need H5Drefresh to grow).
bool is_swmr_read(hid_t file);

}  // namespace poisonsim::hdf5
