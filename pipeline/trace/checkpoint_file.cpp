#include "pipeline/trace/checkpoint_file.h"

#include <algorithm>
#include <cmath>
#include <filesystem>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "pipeline/runtime/provenance.h"
#include "pipeline/trace/checkpoint_digest.h"
#include "pipeline/trace/global_heap_check.h"
#include "pipeline/trace/hdf5_attributes.h"
#include "pipeline/trace/hdf5_handles.h"
#include "pipeline/trace/hdf5_preflight.h"
#include "sim/util/address_space_cap.h"
#include "sim/util/error.h"
#include "sim/util/file_checks.h"

namespace poisonsim {
namespace {

constexpr const char* kFormat = "poisonsim-checkpoint-1";
constexpr hsize_t kChunkBytes = hsize_t{1} << 20;

void write_bytes(hid_t file, const char* name, const std::string& bytes, const std::string& where) {
  const hsize_t size = bytes.size();
  hdf5::Hid space = hdf5::owned(H5Screate_simple(1, &size, nullptr), H5Sclose, where,
                                std::string("cannot describe ") + name);
  hdf5::Hid properties(H5Pcreate(H5P_DATASET_CREATE), H5Pclose);
  if (size > 0) {
    const hsize_t chunk = std::min(size, kChunkBytes);
    hdf5::must(H5Pset_chunk(properties.get(), 1, &chunk), "H5Pset_chunk");
    hdf5::must(H5Pset_deflate(properties.get(), 1), "H5Pset_deflate");
  }
  hdf5::Hid dataset = hdf5::owned(H5Dcreate2(file, name, H5T_NATIVE_UCHAR, space.get(),
                                             H5P_DEFAULT, properties.get(), H5P_DEFAULT),
                                  H5Dclose, where, std::string("cannot create ") + name);
  if (size > 0)
    hdf5::check(
        H5Dwrite(dataset.get(), H5T_NATIVE_UCHAR, H5S_ALL, H5S_ALL, H5P_DEFAULT, bytes.data()),
        where, std::string("cannot write ") + name);
}

// Deflate shrinks data at most about 1032 to 1: a dataset claiming more than that of the file is
// damaged, and is refused before its size is allocated.
constexpr double kMaxDeflateRatio = 1100;

std::string read_bytes(hid_t file, const char* name, const std::string& where,
                       uintmax_t file_bytes) {
  hdf5::Hid dataset = hdf5::owned(H5Dopen2(file, name, H5P_DEFAULT), H5Dclose, where,
                                  std::string("not a checkpoint: no dataset ") + name);
  hdf5::Hid space(H5Dget_space(dataset.get()), H5Sclose);
  if (H5Sget_simple_extent_ndims(space.get()) != 1)
    throw UserError(where, std::string("not a checkpoint: ") + name + " is not 1-D");
  hsize_t size = 0;
  H5Sget_simple_extent_dims(space.get(), &size, nullptr);
  if (static_cast<double>(size) > kMaxDeflateRatio * static_cast<double>(file_bytes) + 65536)
    throw UserError(where, fmt::format("corrupt checkpoint: {} claims {} bytes, more than a file "
                                       "of {} bytes can hold",
                                       name, size, file_bytes));
  std::string bytes(size, '\0');
  if (size > 0)
    hdf5::check(
        H5Dread(dataset.get(), H5T_NATIVE_UCHAR, H5S_ALL, H5S_ALL, H5P_DEFAULT, bytes.data()),
        where, std::string("cannot read ") + name);
  return bytes;
}

double read_seconds(hid_t root, const char* name, const std::string& where) {
  const std::string text = hdf5::read_string_attribute(root, name, where);
  try {
    size_t used = 0;
    const double seconds = std::stod(text, &used);
    if (used == text.size() && seconds >= 0 && std::isfinite(seconds)) return seconds;
  } catch (const std::exception&) {
  }
  throw UserError(where + ":" + name, fmt::format("'{}': expected simulated seconds >= 0", text));
}

// Attributes older builds did not write: their absence is reported by check_digests, which
// names the older build.
std::string optional_attribute(hid_t root, const char* name, const std::string& path) {
  return hdf5::has_attribute(root, name, path) ? hdf5::read_string_attribute(root, name, path)
                                               : std::string();
}

// Before anything is restored: a part changed since it was written is an error naming it.
void check_digests(hid_t root, const CheckpointFile& c, const std::string& path) {
  std::vector<std::pair<std::string, std::string>> stored;
  for (const auto& [name, value] : checkpoint_digests(c)) {
    if (!hdf5::has_attribute(root, name.c_str(), path))
      throw UserError(path, "has no digest " + name +
                                ": written by an older build of poisonsim "
                                "(resume it with that build), or damaged");
    stored.emplace_back(name, hdf5::read_string_attribute(root, name.c_str(), path));
  }
  const auto differing = parts_not_matching(c, stored);
  if (!differing.empty())
    throw UserError(
        path, fmt::format("its {} {} not match the digest written with {}: the "
                          "checkpoint was changed or damaged after it was written, "
                          "and is not resumed",
                          fmt::join(differing, " and "), differing.size() == 1 ? "does" : "do",
                          differing.size() == 1 ? "it" : "them"));
}

}  // namespace

void write_checkpoint_file(const std::string& path, const CheckpointFile& c) {
  hdf5::silence_errors();
  hdf5::Hid file = hdf5::owned(H5Fcreate(path.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT),
                               H5Fclose, path, "cannot create the checkpoint file");
  const hid_t root = file.get();
  hdf5::write_string_attribute(root, "format", kFormat, path);
  hdf5::write_string_attribute(root, "poisonsim_version", c.poisonsim_version, path);
  hdf5::write_string_attribute(root, "build_commit", c.build_commit, path);
  hdf5::write_string_attribute(root, "scenario_path", c.scenario_path, path);
  hdf5::write_string_attribute(root, "scenario", c.scenario_yaml, path);
  hdf5::write_string_attribute(root, "data_files", c.data_files, path);
  hdf5::write_string_attribute(root, "trace_output", c.trace_output, path);
  // Exact in text: the shortest representation that reads back as the same double.
  hdf5::write_string_attribute(root, "time", fmt::format("{}", c.time), path);
  hdf5::write_string_attribute(root, "every", fmt::format("{}", c.every), path);
  hdf5::write_string_attribute(root, "machine", c.machine, path);
  hdf5::write_string_attribute(root, "provenance", provenance_json(0), path);
  write_bytes(root, "state", c.state, path);
  write_bytes(root, "trace", c.trace, path);
  for (const auto& [name, value] : checkpoint_digests(c))
    hdf5::write_string_attribute(root, name.c_str(), value, path);
  hdf5::flush_and_close(file, path, "cannot write the checkpoint file");
}

CheckpointFile read_checkpoint_file(const std::string& path) {
  hdf5::silence_errors();
  require_regular_file(path, "a checkpoint (HDF5)");
  if (H5Fis_hdf5(path.c_str()) <= 0) throw UserError(path, "not an HDF5 checkpoint file");
  // The trace reader's guards (pipeline/trace/trace_reader.cpp): HDF5 loops forever on some
  // damaged global heaps and crashes on others, and on damaged chunk indexes.
  check_global_heaps(path);
  preflight_hdf5_file(path, Preflight::datasets_too);
  std::error_code ec;
  const uintmax_t file_bytes = std::filesystem::file_size(path, ec);
  // Room for both byte arrays decompressed (read_bytes bounds them) and HDF5's own needs; a
  // damaged attribute claiming gigabytes fails to allocate instead of waking the OOM killer.
  const AddressSpaceCap cap((uint64_t{1} << 30) +
                            static_cast<uint64_t>(2 * kMaxDeflateRatio) * (ec ? 0 : file_bytes));
  hdf5::Hid file = hdf5::open_read_only(path, "cannot open the checkpoint file");
  const hid_t root = file.get();
  if (!hdf5::has_attribute(root, "format", path) ||
      hdf5::read_string_attribute(root, "format", path) != kFormat)
    throw UserError(path, fmt::format("not a checkpoint (expected format {})", kFormat));
  CheckpointFile c;
  c.poisonsim_version = hdf5::read_string_attribute(root, "poisonsim_version", path);
  c.build_commit = optional_attribute(root, "build_commit", path);
  c.scenario_path = hdf5::read_string_attribute(root, "scenario_path", path);
  c.scenario_yaml = hdf5::read_string_attribute(root, "scenario", path);
  c.data_files = optional_attribute(root, "data_files", path);
  c.trace_output = hdf5::read_string_attribute(root, "trace_output", path);
  c.time = read_seconds(root, "time", path);
  c.every = read_seconds(root, "every", path);
  c.machine = hdf5::read_string_attribute(root, "machine", path);
  c.state = read_bytes(root, "state", path, ec ? 0 : file_bytes);
  c.trace = read_bytes(root, "trace", path, ec ? 0 : file_bytes);
  check_digests(root, c, path);
  return c;
}

}  // namespace poisonsim
