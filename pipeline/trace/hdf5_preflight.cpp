#include "pipeline/trace/hdf5_preflight.h"

#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <thread>
#include <vector>

#include <fmt/format.h>

#include "pipeline/trace/global_heap_check.h"
#include "pipeline/trace/hdf5_handles.h"
#include "sim/util/address_space_cap.h"
#include "sim/util/error.h"

namespace poisonsim {
namespace {

// The child's exit code when it cannot open the file at all; any other failure (a signal, or a
// sanitizer's own exit code after it caught the crash) means reading it is unsafe.
constexpr int kCannotOpen = 77;

// One attribute, read as the library would for a reader: variable-length strings included.
herr_t read_attribute(hid_t object, const char* name, const H5A_info_t*, void*) {
  const hid_t attribute = H5Aopen(object, name, H5P_DEFAULT);
  if (attribute < 0) return 0;
  const hid_t file_type = H5Aget_type(attribute);
  const hid_t space = H5Aget_space(attribute);
  const hid_t memory_type = H5Tget_native_type(file_type, H5T_DIR_ASCEND);
  const hssize_t points = H5Sget_simple_extent_npoints(space);
  const size_t size = memory_type >= 0 ? H5Tget_size(memory_type) : 0;
  // Attributes are small; a corrupt one claiming more is left to the caller's own checks.
  if (points > 0 && size > 0 && static_cast<double>(points) * static_cast<double>(size) < 64e6) {
    std::vector<unsigned char> buffer(static_cast<size_t>(points) * size);
    if (H5Aread(attribute, memory_type, buffer.data()) >= 0 &&
        H5Tdetect_class(memory_type, H5T_VLEN) + H5Tis_variable_str(memory_type) > 0)
      H5Dvlen_reclaim(memory_type, space, H5P_DEFAULT, buffer.data());
  }
  if (memory_type >= 0) H5Tclose(memory_type);
  H5Sclose(space);
  H5Tclose(file_type);
  H5Aclose(attribute);
  return 0;
}

// A whole dataset, as the caller will read it (its chunks decompressed); one claiming more than
// `kDatasetLimit` bytes is left to the caller's own checks.
constexpr double kDatasetLimit = 1e9;

void read_dataset(hid_t dataset) {
  const hid_t file_type = H5Dget_type(dataset);
  const hid_t space = H5Dget_space(dataset);
  const hid_t memory_type = file_type >= 0 ? H5Tget_native_type(file_type, H5T_DIR_ASCEND) : -1;
  const hssize_t points = space >= 0 ? H5Sget_simple_extent_npoints(space) : 0;
  const size_t size = memory_type >= 0 ? H5Tget_size(memory_type) : 0;
  if (points > 0 && size > 0 &&
      static_cast<double>(points) * static_cast<double>(size) < kDatasetLimit) {
    std::vector<unsigned char> buffer(static_cast<size_t>(points) * size);
    if (H5Dread(dataset, memory_type, H5S_ALL, H5S_ALL, H5P_DEFAULT, buffer.data()) >= 0 &&
        H5Tdetect_class(memory_type, H5T_VLEN) + H5Tis_variable_str(memory_type) > 0)
      H5Dvlen_reclaim(memory_type, space, H5P_DEFAULT, buffer.data());
  }
  if (memory_type >= 0) H5Tclose(memory_type);
  if (space >= 0) H5Sclose(space);
  if (file_type >= 0) H5Tclose(file_type);
}

herr_t read_object(hid_t root, const char* name, const H5O_info_t* info, void* data) {
  const bool datasets = *static_cast<const bool*>(data);
  const hid_t object = H5Oopen(root, name, H5P_DEFAULT);
  if (object < 0) return 0;
  H5Aiterate2(object, H5_INDEX_NAME, H5_ITER_NATIVE, nullptr, read_attribute, nullptr);
  if (datasets && info->type == H5O_TYPE_DATASET) read_dataset(object);
  H5Oclose(object);
  return 0;
}

// The child's whole life: no destructors, no atexit handlers, no stdio flushes.
[[noreturn]] void read_everything(const std::string& path, bool datasets) {
  // What a corrupt header claims fails to allocate here, quickly, rather than thrash the
  // machine (the caller's own read of such a file then fails the same way). Attributes alone
  // (a trace's) hold a few megabytes, as the trace reader's own cap assumes; datasets (a
  // checkpoint's) up to a gigabyte.
  const AddressSpaceCap cap(datasets ? uint64_t{2} << 30 : uint64_t{1} << 30);
  hdf5::silence_errors();
  hdf5::Hid file = hdf5::open_read_only(path, "");
  H5Ovisit2(file.get(), H5_INDEX_NAME, H5_ITER_NATIVE, read_object, &datasets, H5O_INFO_BASIC);
  _exit(0);
}

}  // namespace

void preflight_hdf5_file(const std::string& path, Preflight what, int limit_seconds) {
  // A child sharing an open file's metadata cache with this process could write it back: only
  // a process with no HDF5 file open forks (inspect, roc, resume; not a sweep assembling runs).
  if (H5Fget_obj_count(H5F_OBJ_ALL, H5F_OBJ_FILE) != 0) return;
  const pid_t child = fork();
  if (child < 0) return;  // no process to spare: read it as before
  if (child == 0) {
    try {
      read_everything(path, what == Preflight::datasets_too);
    } catch (...) {
      _exit(kCannotOpen);  // the caller's own open says why
    }
  }
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(limit_seconds);
  int status = 0;
  for (;;) {
    const pid_t done = waitpid(child, &status, WNOHANG);
    if (done == child) break;
    if (done < 0 && errno != EINTR) return;
    if (std::chrono::steady_clock::now() > deadline) {
      kill(child, SIGKILL);
      waitpid(child, &status, 0);
      throw UserError(path, fmt::format("reading its {} does not finish within {} s: the file "
                                        "is corrupt",
                                        what == Preflight::datasets_too ? "contents" : "attributes",
                                        limit_seconds));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  if (WIFEXITED(status) && (WEXITSTATUS(status) == 0 || WEXITSTATUS(status) == kCannotOpen))
    return;
  const std::string how = WIFSIGNALED(status) ? strsignal(WTERMSIG(status))
                                              : fmt::format("exit code {}", WEXITSTATUS(status));
  throw UserError(path, fmt::format("corrupt HDF5 file: reading its {} crashes the HDF5 library "
                                    "({})",
                                    what == Preflight::datasets_too ? "contents" : "attributes",
                                    how));
}

void guard_hdf5_input(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) return;
  hdf5::silence_errors();
  if (H5Fis_hdf5(path.c_str()) <= 0) return;
  check_global_heaps(path);
  preflight_hdf5_file(path);
}

}  // namespace poisonsim
