#include "pipeline/trace/hdf5_handles.h"

#include <stdexcept>

#include "sim/error.h"

namespace poisonsim::hdf5 {

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

}  // namespace poisonsim::hdf5
