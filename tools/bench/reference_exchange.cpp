#include "tools/bench/reference_exchange.h"

#include <nlohmann/json.hpp>

#include "pipeline/trace/hdf5_handles.h"

namespace poisonsim::bench {

ExchangeFile::ExchangeFile(const std::string& path) : path_(path) {
  hdf5::silence_errors();
  file_ = hdf5::check(H5Fcreate(path.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT), path,
                      "cannot create the reference's data file");
}

ExchangeFile::~ExchangeFile() {
  if (file_ >= 0) H5Fclose(static_cast<hid_t>(file_));
}

void ExchangeFile::attribute(const std::string& name, const std::string& text) {
  hdf5::Hid type(H5Tcopy(H5T_C_S1), H5Tclose);
  hdf5::must(H5Tset_size(type.get(), text.size() + 1), "H5Tset_size");
  hdf5::Hid space(H5Screate(H5S_SCALAR), H5Sclose);
  hdf5::Hid attr = hdf5::owned(H5Acreate2(static_cast<hid_t>(file_), name.c_str(), type.get(),
                                          space.get(), H5P_DEFAULT, H5P_DEFAULT),
                               H5Aclose, path_, "cannot write attribute " + name);
  hdf5::check(H5Awrite(attr.get(), type.get(), text.c_str()), path_,
              "cannot write attribute " + name);
}

void ExchangeFile::array(const std::string& name, int64_t type, const void* data,
                         const std::vector<int64_t>& dims) {
  std::vector<hsize_t> extent(dims.begin(), dims.end());
  hdf5::Hid space =
      hdf5::owned(H5Screate_simple(static_cast<int>(extent.size()), extent.data(), nullptr),
                  H5Sclose, path_, "cannot describe " + name);
  hdf5::Hid links(H5Pcreate(H5P_LINK_CREATE), H5Pclose);
  hdf5::must(H5Pset_create_intermediate_group(links.get(), 1), "H5Pset_create_intermediate_group");
  const auto type_id = static_cast<hid_t>(type);
  hdf5::Hid dataset = hdf5::owned(H5Dcreate2(static_cast<hid_t>(file_), name.c_str(), type_id,
                                             space.get(), links.get(), H5P_DEFAULT, H5P_DEFAULT),
                                  H5Dclose, path_, "cannot create " + name);
  int64_t count = 1;
  for (auto d : dims) count *= d;
  if (count > 0)
    hdf5::check(H5Dwrite(dataset.get(), type_id, H5S_ALL, H5S_ALL, H5P_DEFAULT, data), path_,
                "cannot write " + name);
}

void ExchangeFile::floats(const std::string& name, const float* data,
                          const std::vector<int64_t>& dims) {
  array(name, H5T_NATIVE_FLOAT, data, dims);
}

void ExchangeFile::ints(const std::string& name, const int64_t* data,
                        const std::vector<int64_t>& dims) {
  array(name, H5T_NATIVE_INT64, data, dims);
}

void ExchangeFile::dataset(const std::string& group, const Dataset& data) {
  const auto n = static_cast<int64_t>(data.size());
  floats(group + "/images", data.pixels.data(),
         {n, data.shape.channels, data.shape.height, data.shape.width});
  ints(group + "/labels", data.labels.data(), {n});
}

void ExchangeFile::weights(const std::string& group, const ModelWeights& weights) {
  for (size_t i = 0; i < weights.size(); ++i)
    floats(group + "/p" + std::to_string(i), weights[i].values.data(), weights[i].shape);
}

std::string model_spec_json(const ModelSpec& spec) {
  nlohmann::json j = {
      {"kind", to_string(spec.kind)},
      {"input", {spec.input.channels, spec.input.height, spec.input.width}},
      {"num_classes", spec.num_classes},
      {"hidden", spec.hidden},
      {"conv_channels", spec.kind == ModelKind::cnn ? spec.conv_channels : std::vector<int64_t>{}},
      {"kernel_size", spec.kernel_size}};
  return j.dump();
}

}  // namespace poisonsim::bench
