#include "pipeline/trace/hdf5_arrays.h"

#include <fmt/format.h>

#include "pipeline/trace/global_heap_check.h"
#include "pipeline/trace/hdf5_attributes.h"
#include "pipeline/trace/hdf5_handles.h"
#include "pipeline/trace/hdf5_preflight.h"
#include "sim/util/error.h"
#include "sim/util/file_checks.h"

namespace poisonsim {
namespace {

// The element type of a dataset's file type, and the memory type HDF5 converts it to.
std::optional<std::pair<ElementType, hid_t>> element_type_of(hid_t type) {
  const size_t size = H5Tget_size(type);
  switch (H5Tget_class(type)) {
    case H5T_FLOAT:
      if (size == 4) return std::pair{ElementType::f32, H5T_NATIVE_FLOAT};
      if (size == 8) return std::pair{ElementType::f64, H5T_NATIVE_DOUBLE};
      return std::nullopt;
    case H5T_INTEGER: {
      const bool is_signed = H5Tget_sign(type) == H5T_SGN_2;
      switch (size) {
        case 1:
          return is_signed ? std::pair{ElementType::i8, H5T_NATIVE_INT8}
                           : std::pair{ElementType::u8, H5T_NATIVE_UINT8};
        case 2:
          return is_signed ? std::pair{ElementType::i16, H5T_NATIVE_INT16}
                           : std::pair{ElementType::u16, H5T_NATIVE_UINT16};
        case 4:
          return is_signed ? std::pair{ElementType::i32, H5T_NATIVE_INT32}
                           : std::pair{ElementType::u32, H5T_NATIVE_UINT32};
        case 8:
          return is_signed ? std::pair{ElementType::i64, H5T_NATIVE_INT64}
                           : std::pair{ElementType::u64, H5T_NATIVE_UINT64};
        default:
          return std::nullopt;
      }
    }
    default:
      return std::nullopt;
  }
}

}  // namespace

Hdf5Arrays::Hdf5Arrays(const std::string& path) : path_(path), file_(H5I_INVALID_HID) {
  hdf5::silence_errors();
  require_regular_file(path, "an HDF5 file");
  if (H5Fis_hdf5(path.c_str()) <= 0) throw UserError(path, "not an HDF5 file");
  check_global_heaps(path);
  preflight_hdf5_file(path, Preflight::datasets_too);
  hdf5::Hid file = hdf5::open_read_only(path, "cannot open the HDF5 file");
  file_ = file.get();
  file.abandon();  // closed by the destructor
}

Hdf5Arrays::~Hdf5Arrays() {
  if (file_ >= 0) H5Fclose(file_);
}

bool Hdf5Arrays::has(const std::string& name) const {
  return H5Lexists(file_, name.c_str(), H5P_DEFAULT) > 0 &&
         H5Oexists_by_name(file_, name.c_str(), H5P_DEFAULT) > 0;
}

std::vector<std::string> Hdf5Arrays::names() const {
  std::vector<std::string> out;
  H5G_info_t info;
  if (H5Gget_info(file_, &info) < 0) return out;
  for (hsize_t i = 0; i < info.nlinks; ++i) {
    char name[256] = {};
    if (H5Lget_name_by_idx(file_, ".", H5_INDEX_NAME, H5_ITER_INC, i, name, sizeof name,
                           H5P_DEFAULT) < 0)
      continue;
    const hid_t object = H5Oopen(file_, name, H5P_DEFAULT);
    if (object < 0) continue;
    if (H5Iget_type(object) == H5I_DATASET) out.emplace_back(name);
    H5Oclose(object);
  }
  return out;
}

NumericArray Hdf5Arrays::read(const std::string& name) const {
  const std::string where = fmt::format("{}: {}", path_, name);
  if (!has(name)) {
    const auto found = names();
    throw UserError(where, found.empty()
                               ? std::string("no dataset of this name (none at the file's root)")
                               : fmt::format("no dataset of this name (the file's root has: {})",
                                             fmt::join(found, ", ")));
  }
  hdf5::Hid dataset =
      hdf5::owned(H5Dopen2(file_, name.c_str(), H5P_DEFAULT), H5Dclose, where, "not a dataset");
  hdf5::Hid type = hdf5::owned(H5Dget_type(dataset.get()), H5Tclose, where, "cannot read its type");
  const auto element = element_type_of(type.get());
  if (!element)
    throw UserError(where,
                    "its element type is not supported (expected float32, float64 or an "
                    "integer type)");
  hdf5::Hid space =
      hdf5::owned(H5Dget_space(dataset.get()), H5Sclose, where, "cannot read its shape");
  const int rank = H5Sget_simple_extent_ndims(space.get());
  if (rank < 0 || rank > 8) throw UserError(where, "not a simple array of at most 8 dimensions");
  std::vector<hsize_t> dims(static_cast<size_t>(rank));
  H5Sget_simple_extent_dims(space.get(), dims.data(), nullptr);
  NumericArray array;
  array.type = element->first;
  for (auto d : dims) array.shape.push_back(static_cast<int64_t>(d));
  array.bytes.resize(array_bytes(array.shape, array.type, kMaxArrayBytes, where));
  if (!array.bytes.empty())
    hdf5::check(
        H5Dread(dataset.get(), element->second, H5S_ALL, H5S_ALL, H5P_DEFAULT, array.bytes.data()),
        where, "cannot read it");
  return array;
}

std::optional<std::string> Hdf5Arrays::root_attribute(const std::string& name) const {
  if (!hdf5::has_attribute(file_, name.c_str(), path_)) return std::nullopt;
  try {
    return hdf5::read_string_attribute(file_, name.c_str(), path_);
  } catch (const UserError&) {
    return std::nullopt;  // not a string: not what the caller looks for
  }
}

}  // namespace poisonsim
