#pragma once
// The HDF5 files `bench attacks --reference` hands to its PyTorch reference
// (python/reference/reference_attacks.py reads them with h5py): the problem both sides solve (target
// weights and spec, the attacker's validation data, seed pool, seeds, G's initial weights) and
// the small problems of the agreement checks, with poisonsim's answers.
#include <cstdint>
#include <string>
#include <vector>

#include "pipeline/data/dataset.h"
#include "pipeline/model/model_spec.h"

namespace poisonsim::bench {

// A new file at `path` (replaced if it exists); arrays are written uncompressed. Throws UserError
// naming the path when it cannot be written. Closed by the destructor.
class ExchangeFile {
 public:
  explicit ExchangeFile(const std::string& path);
  ~ExchangeFile();
  ExchangeFile(const ExchangeFile&) = delete;
  ExchangeFile& operator=(const ExchangeFile&) = delete;

  // A string attribute of the file's root (JSON text, read by json.loads).
  void attribute(const std::string& name, const std::string& text);
  // float32 / int64 arrays; `name` may contain groups ("seeds/images"), created as needed.
  void floats(const std::string& name, const float* data, const std::vector<int64_t>& dims);
  void ints(const std::string& name, const int64_t* data, const std::vector<int64_t>& dims);
  // <group>/images (N x C x H x W) and <group>/labels (N).
  void dataset(const std::string& group, const Dataset& data);
  // <group>/p0, p1, ... in order.
  void weights(const std::string& group, const ModelWeights& weights);

 private:
  void array(const std::string& name, int64_t type, const void* data,
             const std::vector<int64_t>& dims);
  std::string path_;
  int64_t file_ = -1;  // hid_t, without <hdf5.h> here
};

// The model spec as the reference reads it: {"kind", "input", "num_classes", "hidden",
// "conv_channels", "kernel_size"}.
std::string model_spec_json(const ModelSpec& spec);

}  // namespace poisonsim::bench
