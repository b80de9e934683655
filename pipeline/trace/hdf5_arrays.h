#pragma once
// Named datasets of any HDF5 file as NumericArrays, in the element type the file stores (replay
// attackers read poison made elsewhere, e.g. with h5py). The file goes through the trace
// reader's guards first: HDF5 crashes or hangs on some corrupt files.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "pipeline/data/numeric_array.h"

namespace poisonsim {

class Hdf5Arrays {
 public:
  // Throws UserError(path, ...) when the file is missing, not HDF5 or damaged.
  explicit Hdf5Arrays(const std::string& path);
  ~Hdf5Arrays();
  Hdf5Arrays(const Hdf5Arrays&) = delete;
  Hdf5Arrays& operator=(const Hdf5Arrays&) = delete;

  bool has(const std::string& name) const;
  // Datasets directly under the root, for messages.
  std::vector<std::string> names() const;
  // Throws UserError naming the file and dataset when it is absent, of another element type
  // than numeric_array.h's, larger than kMaxArrayBytes or unreadable.
  NumericArray read(const std::string& name) const;
  // A string attribute of the root group, when there is one (an attribute of another type is
  // none).
  std::optional<std::string> root_attribute(const std::string& name) const;

 private:
  std::string path_;
  int64_t file_;  // an hid_t, kept out of this header with <hdf5.h>
};

}  // namespace poisonsim
