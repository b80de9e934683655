#pragma once
// Arrays from a NumPy .npz file (np.savez / np.savez_compressed: a zip archive of .npy members),
// read with libzip.
#include <string>
#include <vector>

#include "pipeline/data/numeric_array.h"

namespace poisonsim {

class NpzArchive {
 public:
  // Throws UserError(path, ...) when the file is missing or not a readable zip archive.
  explicit NpzArchive(const std::string& path);
  ~NpzArchive();
  NpzArchive(const NpzArchive&) = delete;
  NpzArchive& operator=(const NpzArchive&) = delete;

  // The arrays' names: the members' names without ".npy", as np.load(path).files lists them.
  std::vector<std::string> names() const;
  bool has(const std::string& name) const;
  // The array `name` (member `name`.npy). Throws UserError naming the file and the array when it
  // is absent, corrupt (a CRC or inflate error) or not a valid .npy.
  NumericArray read(const std::string& name) const;

 private:
  std::string path_;
  struct Zip;
  Zip* zip_;
};

}  // namespace poisonsim
