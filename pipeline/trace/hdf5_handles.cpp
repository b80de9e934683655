#include "pipeline/trace/hdf5_handles.h"

#include <stdexcept>

#include "sim/util/error.h"

namespace poisonsim::hdf5 {

// No library shutdown at exit: every handle is closed by its owner before then, and HDF5 1.10's
// own shutdown crashes on a file whose close failed (a full disk, ulimit -f). It must be said
// before the library initialises, hence at static initialisation.
[[maybe_unused]] const bool no_shutdown_at_exit = H5dont_atexit() >= 0;

void silence_errors() {
  thread_local bool silenced = false;
  if (silenced) return;
  H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);
  silenced = true;
}

namespace {

herr_t remember_innermost(unsigned, const H5E_error2_t* error, void* out) {
  if (error->desc && *error->desc) *static_cast<std::string*>(out) = error->desc;
  return 0;
}

}  // namespace

std::string error_detail() {
  std::string detail;
  // Walking downward visits the API call first and the innermost (most specific) frame last.
  H5Ewalk2(H5E_DEFAULT, H5E_WALK_DOWNWARD, remember_innermost, &detail);
  H5Eclear2(H5E_DEFAULT);
  // System errors read "unable to open file: name = '...', errno = 2, error message = '...'".
  const std::string marker = "error message = '";
  const auto start = detail.find(marker);
  if (start != std::string::npos) {
    const auto begin = start + marker.size();
    const auto end = detail.find('\'', begin);
    if (end != std::string::npos) return detail.substr(begin, end - begin);
  }
  return detail.empty() ? "unknown HDF5 error" : detail;
}

void throw_user_error(const std::string& where, const std::string& what) {
  throw UserError(where, what + ": " + error_detail());
}

void throw_logic_error(const char* what) {
  throw std::logic_error(std::string("HDF5 ") + what + " failed: " + error_detail());
}

void flush_and_close(Hid& file, const std::string& where, const std::string& what) {
  check(H5Fflush(file.get(), H5F_SCOPE_GLOBAL), where, what);
  const hid_t id = file.get();
  file.abandon();  // closed here, once, with its result checked
  check(H5Fclose(id), where, what);
}

Hid open_read_only(const std::string& path, const std::string& what_failed) {
  Hid fapl(must(H5Pcreate(H5P_FILE_ACCESS), "H5Pcreate"), H5Pclose);
  must(H5Pset_file_locking(fapl.get(), false, true), "H5Pset_file_locking");
  for (const unsigned flags : {H5F_ACC_RDONLY, H5F_ACC_RDONLY | H5F_ACC_SWMR_READ}) {
    Hid file(H5Fopen(path.c_str(), flags, fapl.get()), H5Fclose);
    if (file.valid()) return file;
    error_detail();  // clear the stack
  }
  return owned(H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT), H5Fclose, path, what_failed);
}

bool is_swmr_read(hid_t file) {
  unsigned intent = 0;
  return H5Fget_intent(file, &intent) >= 0 && (intent & H5F_ACC_SWMR_READ) != 0;
}

}  // namespace poisonsim::hdf5
