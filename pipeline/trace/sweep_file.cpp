#include "pipeline/trace/sweep_file.h"

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <stdexcept>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "pipeline/runtime/provenance.h"
#include "pipeline/trace/hdf5_attributes.h"
#include "pipeline/trace/hdf5_handles.h"
#include "pipeline/trace/trace_metadata.h"
#include "sim/util/error.h"
#include "sim/util/file_checks.h"

namespace poisonsim {

using hdf5::Hid;

namespace {

constexpr const char* kSweepKind = "sweep";

Hid fixed_string(size_t size) {
  Hid type(hdf5::must(H5Tcopy(H5T_C_S1), "H5Tcopy"), H5Tclose);
  hdf5::must(H5Tset_size(type.get(), size), "H5Tset_size");
  hdf5::must(H5Tset_strpad(type.get(), H5T_STR_NULLPAD), "H5Tset_strpad");
  return type;
}

size_t text_width(const SummaryColumn& column) {
  size_t width = 1;
  for (const auto& text : column.texts) width = std::max(width, text.size());
  return width;
}

size_t cell_size(const SummaryColumn& column) {
  return column.kind == SummaryColumn::Kind::text ? text_width(column) : 8;
}

Hid open_file_for_reading(const std::string& path) {
  hdf5::silence_errors();
  require_regular_file(path, "an HDF5 trace or sweep file");
  if (H5Fis_hdf5(path.c_str()) <= 0)
    throw UserError(path, "is not an HDF5 file (expected a trace or sweep file)");
  return hdf5::open_read_only(path, "cannot open the file");
}

// A root attribute holding a JSON list of strings (`parameters`, `common_sets`).
std::vector<std::string> parse_parameters(const std::string& json, const std::string& where,
                                          const std::string& name = "parameters") {
  const auto value = nlohmann::json::parse(json, nullptr, false);
  std::vector<std::string> out;
  if (!value.is_array()) throw UserError(where, "attribute '" + name + "' is not a JSON list");
  for (const auto& item : value) {
    if (!item.is_string()) throw UserError(where, "attribute '" + name + "' must list strings");
    out.push_back(item.get<std::string>());
  }
  return out;
}

SummaryColumn read_column(hid_t dataset, hid_t file_type, unsigned member, hsize_t rows,
                          const std::string& where) {
  SummaryColumn column;
  char* name = H5Tget_member_name(file_type, member);
  if (!name) throw UserError(where, "unreadable column name");
  column.name = name;
  H5free_memory(name);
  const H5T_class_t type_class = H5Tget_member_class(file_type, member);
  Hid member_type(hdf5::must(H5Tget_member_type(file_type, member), "H5Tget_member_type"),
                  H5Tclose);
  const auto read = [&](hid_t native, size_t size, void* out) {
    Hid memory(hdf5::must(H5Tcreate(H5T_COMPOUND, size), "H5Tcreate"), H5Tclose);
    hdf5::must(H5Tinsert(memory.get(), column.name.c_str(), 0, native), "H5Tinsert");
    hdf5::check(H5Dread(dataset, memory.get(), H5S_ALL, H5S_ALL, H5P_DEFAULT, out), where,
                "cannot read column '" + column.name + "'");
  };
  if (type_class == H5T_FLOAT) {
    column.kind = SummaryColumn::Kind::real;
    column.reals.resize(rows);
    if (rows) read(H5T_NATIVE_DOUBLE, sizeof(double), column.reals.data());
  } else if (type_class == H5T_INTEGER) {
    column.kind = SummaryColumn::Kind::integer;
    column.integers.resize(rows);
    if (rows) read(H5T_NATIVE_INT64, sizeof(int64_t), column.integers.data());
  } else if (type_class == H5T_STRING && H5Tis_variable_str(member_type.get()) == 0) {
    column.kind = SummaryColumn::Kind::text;
    const size_t width = H5Tget_size(member_type.get());
    std::vector<char> buffer(width * rows);
    if (rows) read(fixed_string(width).get(), width, buffer.data());
    for (hsize_t row = 0; row < rows; ++row) {
      const char* cell = buffer.data() + row * width;
      column.texts.emplace_back(cell, strnlen(cell, width));
    }
  } else {
    throw UserError(where, fmt::format("column '{}' has an unsupported type (expected a "
                                       "number or a fixed-length string)",
                                       column.name));
  }
  return column;
}

// A table written by write_table; empty when the file has none of that name.
std::vector<SummaryColumn> read_table(hid_t root, const std::string& name,
                                      const std::string& path) {
  std::vector<SummaryColumn> columns;
  if (hdf5::check(H5Lexists(root, name.c_str(), H5P_DEFAULT), path,
                  "cannot look up '" + name + "'") <= 0)
    return columns;
  const std::string where = path + ":/" + name;
  Hid dataset = hdf5::owned(H5Dopen2(root, name.c_str(), H5P_DEFAULT), H5Dclose, where,
                            "cannot open the table");
  Hid type = hdf5::owned(H5Dget_type(dataset.get()), H5Tclose, where, "cannot read its type");
  if (H5Tget_class(type.get()) != H5T_COMPOUND)
    throw UserError(where, "expected a compound (table) dataset");
  Hid space = hdf5::owned(H5Dget_space(dataset.get()), H5Sclose, where, "cannot read its shape");
  hsize_t rows = 0;
  if (H5Sget_simple_extent_ndims(space.get()) != 1)
    throw UserError(where, "expected a one-dimensional table");
  H5Sget_simple_extent_dims(space.get(), &rows, nullptr);
  const int members = H5Tget_nmembers(type.get());
  for (int m = 0; m < members; ++m)
    columns.push_back(
        read_column(dataset.get(), type.get(), static_cast<unsigned>(m), rows, where));
  return columns;
}

}  // namespace

size_t SummaryColumn::size() const {
  switch (kind) {
    case Kind::real:
      return reals.size();
    case Kind::integer:
      return integers.size();
    case Kind::text:
      return texts.size();
  }
  return 0;
}

struct SweepFileWriter::Impl {
  std::string path;
  Hid file;
};

SweepFileWriter::SweepFileWriter(const std::string& path, const SweepHeader& header)
    : impl_(std::make_unique<Impl>()) {
  hdf5::silence_errors();
  impl_->path = path;
  Hid fcpl(hdf5::must(H5Pcreate(H5P_FILE_CREATE), "H5Pcreate"), H5Pclose);
  impl_->file = hdf5::owned(H5Fcreate(path.c_str(), H5F_ACC_TRUNC, fcpl.get(), H5P_DEFAULT),
                            H5Fclose, path, "cannot create the sweep file");
  const hid_t root = impl_->file.get();
  hdf5::write_string_attribute(root, "kind", kSweepKind, path);
  hdf5::write_string_attribute(root, "scenario_file", header.scenario_file, path);
  hdf5::write_string_attribute(root, "scenario", header.scenario, path);
  hdf5::write_string_attribute(root, "parameters", nlohmann::json(header.parameters).dump(), path);
  hdf5::write_string_attribute(root, "common_sets", nlohmann::json(header.common_sets).dump(),
                               path);
  hdf5::write_string_attribute(root, "poisonsim_version", header.version, path);
  // Of the process that assembles the file; each run's own is in its group and in the table.
  hdf5::write_string_attribute(root, "provenance", provenance_json(0), path);
  hdf5::write_integer_attribute(root, "trace_format", kTraceFormat, H5T_STD_I32LE, path);
  hdf5::write_integer_attribute(root, "complete", 0, H5T_STD_U8LE, path);
  Hid gcpl(hdf5::must(H5Pcreate(H5P_GROUP_CREATE), "H5Pcreate"), H5Pclose);
  hdf5::must(H5Pset_obj_track_times(gcpl.get(), false), "H5Pset_obj_track_times");
  Hid runs = hdf5::owned(H5Gcreate2(root, "runs", H5P_DEFAULT, gcpl.get(), H5P_DEFAULT), H5Gclose,
                         path, "cannot create group 'runs'");
}

SweepFileWriter::~SweepFileWriter() = default;

void SweepFileWriter::add_run(int64_t id, const std::string& trace_path) {
  const Hid source = open_file_for_reading(trace_path);
  const std::string name = fmt::format("runs/{}", id);
  hdf5::check(H5Ocopy(source.get(), ".", impl_->file.get(), name.c_str(), H5P_DEFAULT, H5P_DEFAULT),
              impl_->path, fmt::format("cannot copy the trace {} into {}", trace_path, name));
}

void SweepFileWriter::write_summary(const std::vector<SummaryColumn>& columns) {
  write_table("summary", columns);
}

void SweepFileWriter::write_table(const std::string& table,
                                  const std::vector<SummaryColumn>& columns) {
  const std::string& where = impl_->path;
  const hsize_t rows = columns.empty() ? 0 : columns.front().size();
  size_t row_size = 0;
  for (const auto& column : columns) {
    if (column.size() != rows) throw std::logic_error("summary columns differ in length");
    row_size += cell_size(column);
  }
  // Memory and file use the same packed layout; only the byte order of numbers may differ.
  Hid memory(hdf5::must(H5Tcreate(H5T_COMPOUND, std::max<size_t>(row_size, 1)), "H5Tcreate"),
             H5Tclose);
  Hid stored(hdf5::must(H5Tcreate(H5T_COMPOUND, std::max<size_t>(row_size, 1)), "H5Tcreate"),
             H5Tclose);
  std::vector<char> buffer(std::max<size_t>(row_size, 1) * rows);
  size_t offset = 0;
  for (const auto& column : columns) {
    const char* name = column.name.c_str();
    switch (column.kind) {
      case SummaryColumn::Kind::real:
        hdf5::must(H5Tinsert(memory.get(), name, offset, H5T_NATIVE_DOUBLE), "H5Tinsert");
        hdf5::must(H5Tinsert(stored.get(), name, offset, H5T_IEEE_F64LE), "H5Tinsert");
        for (hsize_t r = 0; r < rows; ++r)
          std::memcpy(buffer.data() + r * row_size + offset, &column.reals[r], 8);
        break;
      case SummaryColumn::Kind::integer:
        hdf5::must(H5Tinsert(memory.get(), name, offset, H5T_NATIVE_INT64), "H5Tinsert");
        hdf5::must(H5Tinsert(stored.get(), name, offset, H5T_STD_I64LE), "H5Tinsert");
        for (hsize_t r = 0; r < rows; ++r)
          std::memcpy(buffer.data() + r * row_size + offset, &column.integers[r], 8);
        break;
      case SummaryColumn::Kind::text: {
        const size_t width = text_width(column);
        const Hid text = fixed_string(width);
        hdf5::must(H5Tinsert(memory.get(), name, offset, text.get()), "H5Tinsert");
        hdf5::must(H5Tinsert(stored.get(), name, offset, text.get()), "H5Tinsert");
        for (hsize_t r = 0; r < rows; ++r)
          std::memcpy(buffer.data() + r * row_size + offset, column.texts[r].data(),
                      column.texts[r].size());
        break;
      }
    }
    offset += cell_size(column);
  }
  Hid space = hdf5::owned(H5Screate_simple(1, &rows, nullptr), H5Sclose, where, "summary space");
  Hid dcpl(hdf5::must(H5Pcreate(H5P_DATASET_CREATE), "H5Pcreate"), H5Pclose);
  hdf5::must(H5Pset_obj_track_times(dcpl.get(), false), "H5Pset_obj_track_times");
  Hid dataset = hdf5::owned(H5Dcreate2(impl_->file.get(), table.c_str(), stored.get(), space.get(),
                                       H5P_DEFAULT, dcpl.get(), H5P_DEFAULT),
                            H5Dclose, where, "cannot create the " + table + " table");
  if (rows)
    hdf5::check(H5Dwrite(dataset.get(), memory.get(), H5S_ALL, H5S_ALL, H5P_DEFAULT, buffer.data()),
                where, "cannot write the " + table + " table");
}

void SweepFileWriter::close() {
  if (!impl_->file.valid()) return;
  hdf5::write_integer_attribute(impl_->file.get(), "complete", 1, H5T_STD_U8LE, impl_->path);
  hdf5::check(H5Fflush(impl_->file.get(), H5F_SCOPE_LOCAL), impl_->path,
              "cannot flush the sweep file");
  impl_->file.reset();
}

bool is_sweep_file(const std::string& path) {
  const Hid file = open_file_for_reading(path);
  if (!hdf5::has_attribute(file.get(), "kind", path)) return false;
  return hdf5::read_string_attribute(file.get(), "kind", path) == kSweepKind;
}

SweepContents read_sweep_file(const std::string& path) {
  const Hid file = open_file_for_reading(path);
  const hid_t root = file.get();
  if (!hdf5::has_attribute(root, "kind", path) ||
      hdf5::read_string_attribute(root, "kind", path) != kSweepKind)
    throw UserError(path, "is not a sweep file (no root attribute kind = \"sweep\")");
  SweepContents contents;
  auto& h = contents.header;
  h.scenario_file = hdf5::read_string_attribute(root, "scenario_file", path);
  h.scenario = hdf5::read_string_attribute(root, "scenario", path);
  h.parameters = parse_parameters(hdf5::read_string_attribute(root, "parameters", path), path);
  h.version = hdf5::read_string_attribute(root, "poisonsim_version", path);
  if (hdf5::has_attribute(root, "common_sets", path))
    h.common_sets = parse_parameters(hdf5::read_string_attribute(root, "common_sets", path), path,
                                     "common_sets");
  contents.complete = hdf5::read_int64_attribute(root, "complete", path) != 0;
  // Without a summary: a sweep that died before it was written.
  contents.summary = read_table(root, "summary", path);
  contents.provenance = read_table(root, "provenance", path);
  contents.aggregate = read_table(root, "aggregate", path);
  return contents;
}

}  // namespace poisonsim
