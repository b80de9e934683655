#include "pipeline/trace/poison_set_file.h"

#include <filesystem>

#include <fmt/format.h>

#include "pipeline/runtime/provenance.h"
#include "pipeline/trace/hdf5_attributes.h"
#include "pipeline/trace/hdf5_handles.h"
#include "sim/util/error.h"
#include "sim/util/file_checks.h"

namespace poisonsim {
namespace {

constexpr const char* kFormat = kPoisonSetFormat;

void write_array(hid_t file, const char* name, hid_t type, const void* data,
                 const std::vector<hsize_t>& dims, const std::string& where) {
  hdf5::Hid space =
      hdf5::owned(H5Screate_simple(static_cast<int>(dims.size()), dims.data(), nullptr), H5Sclose,
                  where, "cannot describe " + std::string(name));
  hdf5::Hid properties(H5Pcreate(H5P_DATASET_CREATE), H5Pclose);
  if (dims[0] > 0) {
    std::vector<hsize_t> chunk = dims;
    chunk[0] = std::min<hsize_t>(dims[0], 256);
    hdf5::must(H5Pset_chunk(properties.get(), static_cast<int>(chunk.size()), chunk.data()),
               "H5Pset_chunk");
    hdf5::must(H5Pset_deflate(properties.get(), 4), "H5Pset_deflate");
  }
  hdf5::Hid dataset = hdf5::owned(
      H5Dcreate2(file, name, type, space.get(), H5P_DEFAULT, properties.get(), H5P_DEFAULT),
      H5Dclose, where, "cannot create " + std::string(name));
  if (dims[0] > 0)
    hdf5::check(H5Dwrite(dataset.get(), type, H5S_ALL, H5S_ALL, H5P_DEFAULT, data), where,
                "cannot write " + std::string(name));
}

void write_dataset(hid_t file, const std::string& prefix, const Dataset& data,
                   const std::string& where) {
  const std::vector<hsize_t> image_dims{data.size(), static_cast<hsize_t>(data.shape.channels),
                                        static_cast<hsize_t>(data.shape.height),
                                        static_cast<hsize_t>(data.shape.width)};
  write_array(file, (prefix + "images").c_str(), H5T_NATIVE_FLOAT, data.pixels.data(), image_dims,
              where);
  write_array(file, (prefix + "labels").c_str(), H5T_NATIVE_INT64, data.labels.data(),
              {data.size()}, where);
}

Dataset read_dataset(hid_t file, const std::string& prefix, const std::string& where) {
  Dataset data;
  data.name = where + ":" + prefix + "images";
  hdf5::Hid images = hdf5::owned(H5Dopen2(file, (prefix + "images").c_str(), H5P_DEFAULT), H5Dclose,
                                 where, "not a poison set: no " + prefix + "images");
  hdf5::Hid space(H5Dget_space(images.get()), H5Sclose);
  hsize_t dims[4] = {0, 0, 0, 0};
  if (H5Sget_simple_extent_ndims(space.get()) != 4)
    throw UserError(where, prefix + "images must have 4 dimensions (N, C, H, W)");
  H5Sget_simple_extent_dims(space.get(), dims, nullptr);
  data.shape = {static_cast<int64_t>(dims[1]), static_cast<int64_t>(dims[2]),
                static_cast<int64_t>(dims[3])};
  data.pixels.resize(dims[0] * dims[1] * dims[2] * dims[3]);
  if (dims[0] > 0)
    hdf5::check(
        H5Dread(images.get(), H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, data.pixels.data()),
        where, "cannot read " + prefix + "images");
  hdf5::Hid labels = hdf5::owned(H5Dopen2(file, (prefix + "labels").c_str(), H5P_DEFAULT), H5Dclose,
                                 where, "not a poison set: no " + prefix + "labels");
  hdf5::Hid label_space(H5Dget_space(labels.get()), H5Sclose);
  if (H5Sget_simple_extent_npoints(label_space.get()) != static_cast<hssize_t>(dims[0]))
    throw UserError(where, prefix + "labels and " + prefix + "images differ in length");
  data.labels.resize(dims[0]);
  if (dims[0] > 0)
    hdf5::check(
        H5Dread(labels.get(), H5T_NATIVE_INT64, H5S_ALL, H5S_ALL, H5P_DEFAULT, data.labels.data()),
        where, "cannot read " + prefix + "labels");
  int64_t max_label = 0;
  for (auto label : data.labels) max_label = std::max(max_label, label);
  data.num_classes = std::max<int64_t>(10, max_label + 1);
  return data;
}

}  // namespace

void write_poison_set(const std::string& path, const PoisonSetFile& set) {
  hdf5::silence_errors();
  hdf5::Hid file = hdf5::owned(H5Fcreate(path.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT),
                               H5Fclose, path, "cannot create the poison set file");
  hdf5::write_string_attribute(file.get(), "format", kFormat, path);
  hdf5::write_string_attribute(file.get(), "method", set.method, path);
  hdf5::write_string_attribute(file.get(), "figures", set.figures_json, path);
  hdf5::write_string_attribute(file.get(), "provenance", provenance_json(0), path);
  write_dataset(file.get(), "", set.poison, path);
  write_dataset(file.get(), "seed_", set.seeds, path);
  hdf5::flush_and_close(file, path, "cannot write the poison set file");
}

PoisonSetFile read_poison_set(const std::string& path) {
  hdf5::silence_errors();
  require_regular_file(path, "a poison set (HDF5)");
  if (H5Fis_hdf5(path.c_str()) <= 0) throw UserError(path, "not an HDF5 poison set file");
  hdf5::Hid file = hdf5::open_read_only(path, "cannot open the poison set file");
  if (!hdf5::has_attribute(file.get(), "format", path) ||
      hdf5::read_string_attribute(file.get(), "format", path) != kFormat)
    throw UserError(path, fmt::format("not a poison set (expected format {})", kFormat));
  PoisonSetFile set;
  set.method = hdf5::read_string_attribute(file.get(), "method", path);
  set.figures_json = hdf5::read_string_attribute(file.get(), "figures", path);
  set.poison = read_dataset(file.get(), "", path);
  set.seeds = read_dataset(file.get(), "seed_", path);
  return set;
}

}  // namespace poisonsim
