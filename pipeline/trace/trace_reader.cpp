#include "pipeline/trace/trace_reader.h"

#include <algorithm>
#include <array>
#include <filesystem>
#include <new>
#include <optional>
#include <stdexcept>

#include <fmt/format.h>

#include "pipeline/trace/global_heap_check.h"
#include "pipeline/trace/hdf5_attributes.h"
#include "pipeline/trace/hdf5_handles.h"
#include "pipeline/trace/hdf5_preflight.h"
#include "pipeline/trace/trace_schema.h"
#include "sim/util/address_space_cap.h"
#include "sim/util/error.h"
#include "sim/util/file_checks.h"

namespace poisonsim {

using hdf5::Hid;

namespace {

constexpr const char* kNotATrace = "not a poisonsim trace";

// What reading a trace's attributes may allocate. A valid trace's attributes hold a few megabytes
// at most (its scenario, at most 1 MB, is the largest), but HDF5 allocates and copies as many
// bytes as a damaged attribute's header or string length claims (up to 4 GB per string) before
// poisonsim sees any of them. Under this cap such an allocation fails and HDF5 reports it (or
// the copy into a std::string throws std::bad_alloc): one error, not a process that thrashes or
// meets the OOM killer.
constexpr uint64_t kAttributeHeadroomBytes = uint64_t{1} << 30;

Hid open_file(const std::string& path) {
  require_regular_file(path, "a poisonsim trace (HDF5)");
  if (H5Fis_hdf5(path.c_str()) <= 0) {
    hdf5::error_detail();  // clear the stack
    throw UserError(path, std::string("not an HDF5 file (expected a poisonsim trace, see "
                                      "docs/trace-format.md)"));
  }
  check_global_heaps(path);   // HDF5 itself can loop forever on a damaged one
  preflight_hdf5_file(path);  // and crash on a dangling string reference
  return hdf5::open_read_only(path, "cannot open the trace file");
}

// Opens `table` and checks it has every column of trace format `format` with the right kind.
std::optional<Hid> open_table(hid_t group, const trace_schema::Table& table, int format,
                              const std::string& where) {
  const std::string context = std::string("cannot read table '") + table.name + "'";
  if (table.since_format > format) return std::nullopt;  // an older trace: read as empty
  if (hdf5::check(H5Lexists(group, table.name, H5P_DEFAULT), where, context) <= 0) {
    if (table.optional) return std::nullopt;
    throw UserError(where, fmt::format("{}: it has no '{}' table (see docs/trace-format.md)",
                                       kNotATrace, table.name));
  }
  H5O_info_t info;
  hdf5::check(H5Oget_info_by_name(group, table.name, &info, H5P_DEFAULT), where, context);
  if (info.type != H5O_TYPE_DATASET) {
    throw UserError(where, fmt::format("{}: '{}' is not a table", kNotATrace, table.name));
  }
  Hid dataset = hdf5::owned(H5Dopen2(group, table.name, H5P_DEFAULT), H5Dclose, where, context);
  Hid type = hdf5::owned(H5Dget_type(dataset.get()), H5Tclose, where, context);
  Hid space = hdf5::owned(H5Dget_space(dataset.get()), H5Sclose, where, context);
  if (H5Tget_class(type.get()) != H5T_COMPOUND || H5Sget_simple_extent_ndims(space.get()) != 1) {
    throw UserError(where, fmt::format("table '{}' is not a 1-D table of rows", table.name));
  }
  for (const auto& column : table.columns) {
    if (column.since_format > format) continue;  // HDF5 leaves the row's default in place
    const int index = H5Tget_member_index(type.get(), column.name);
    if (index < 0 || H5Tget_member_class(type.get(), static_cast<unsigned>(index)) !=
                         trace_schema::column_class(column.type)) {
      hdf5::error_detail();  // clear the stack
      const char* problem = index < 0 ? "has no column" : "has the wrong type for column";
      throw UserError(where, fmt::format("table '{}' {} '{}' (expected trace_format {})",
                                         table.name, problem, column.name, format));
    }
  }
  return dataset;
}

}  // namespace

struct TraceReader::Impl {
  std::string where;
  Hid file;
  Hid group;
  TraceMetadata metadata;
  int trace_format = 0;
  bool complete = false;
  // events, samples, retrains, evaluations, defense, scores (trace_schema::all_tables()'s order).
  std::array<std::optional<Hid>, 6> tables;
  bool swmr = false;  // opened for SWMR reading: the writer may still be appending

  void refresh() {
    if (!swmr) return;
    for (const auto& dataset : tables)
      if (dataset)
        hdf5::check(H5Drefresh(dataset->get()), where, "cannot refresh a table of the trace");
  }

  const std::optional<Hid>& table(const trace_schema::Table& schema) const {
    const auto& all = trace_schema::all_tables();
    for (size_t i = 0; i < all.size(); ++i) {
      if (all[i] == &schema) return tables[i];
    }
    throw std::logic_error("unknown trace table");
  }

  int64_t rows(const trace_schema::Table& schema) const {
    const auto& dataset = table(schema);
    if (!dataset) return 0;
    const std::string context = std::string("cannot read table '") + schema.name + "'";
    Hid space = hdf5::owned(H5Dget_space(dataset->get()), H5Sclose, where, context);
    hsize_t size = 0;
    hdf5::check(H5Sget_simple_extent_dims(space.get(), &size, nullptr), where, context);
    return static_cast<int64_t>(size);
  }

  // Reads rows [first, first + count) into `out` (count row structs of the table's type).
  void read(const trace_schema::Table& schema, int64_t first, int64_t count, void* out) const {
    if (count <= 0) return;
    const auto& dataset = table(schema);
    const std::string context = std::string("cannot read table '") + schema.name + "'";
    Hid file_space = hdf5::owned(H5Dget_space(dataset->get()), H5Sclose, where, context);
    const hsize_t start = static_cast<hsize_t>(first);
    const hsize_t n = static_cast<hsize_t>(count);
    hdf5::check(H5Sselect_hyperslab(file_space.get(), H5S_SELECT_SET, &start, nullptr, &n, nullptr),
                where, context);
    Hid memory_space = hdf5::owned(H5Screate_simple(1, &n, nullptr), H5Sclose, where, context);
    Hid memory_type = trace_schema::memory_type(schema);
    hdf5::check(H5Dread(dataset->get(), memory_type.get(), memory_space.get(), file_space.get(),
                        H5P_DEFAULT, out),
                where, context);
  }

  template <class Row>
  std::vector<Row> read_all(const trace_schema::Table& schema) const {
    std::vector<Row> rows_out(static_cast<size_t>(rows(schema)));
    read(schema, 0, static_cast<int64_t>(rows_out.size()), rows_out.data());
    return rows_out;
  }

  // Every row in order, a block at a time: the per-sample tables grow with the run.
  template <class Row>
  void for_each(const trace_schema::Table& schema,
                const std::function<void(const Row&)>& visit) const {
    constexpr int64_t kBlock = 65536;
    const int64_t total = rows(schema);
    std::vector<Row> block;
    for (int64_t first = 0; first < total; first += kBlock) {
      block.resize(static_cast<size_t>(std::min(kBlock, total - first)));
      read(schema, first, static_cast<int64_t>(block.size()), block.data());
      for (const auto& row : block) visit(row);
    }
  }
};

TraceReader::TraceReader(const std::string& path, const std::string& group) try
    : impl_(std::make_unique<Impl>()) {
  hdf5::silence_errors();
  const bool root = group.find_first_not_of('/') == std::string::npos;
  impl_->where = root ? path : path + ":" + group;
  const std::string& where = impl_->where;
  impl_->file = open_file(path);
  const AddressSpaceCap cap(kAttributeHeadroomBytes);  // for the attributes, see above
  if (!root) {
    const htri_t exists = H5Lexists(impl_->file.get(), group.c_str(), H5P_DEFAULT);
    if (exists <= 0) {
      hdf5::error_detail();  // a missing parent is an error on the stack; clear it
      throw UserError(path, "has no group '" + group + "'");
    }
  }
  impl_->group = hdf5::owned(H5Gopen2(impl_->file.get(), root ? "/" : group.c_str(), H5P_DEFAULT),
                             H5Gclose, where, "cannot open the trace group");
  const hid_t g = impl_->group.get();
  if (!hdf5::has_attribute(g, "trace_format", where)) {
    throw UserError(
        where, fmt::format("{}: no trace_format attribute (see docs/trace-format.md)", kNotATrace));
  }
  const int64_t format = hdf5::read_int64_attribute(g, "trace_format", where);
  if (format < kOldestTraceFormat || format > kTraceFormat) {
    throw UserError(where, fmt::format("trace_format {} is not supported; this poisonsim reads "
                                       "trace_format {} to {}",
                                       format, kOldestTraceFormat, kTraceFormat));
  }
  impl_->trace_format = static_cast<int>(format);
  impl_->metadata.scenario_yaml = hdf5::read_string_attribute(g, "scenario", where);
  impl_->metadata.seed = hdf5::read_uint64_attribute(g, "seed", where);
  impl_->metadata.version = hdf5::read_string_attribute(g, "poisonsim_version", where);
  // Traces written before these attributes existed simply lack them.
  const auto optional_string = [&](const char* name) {
    return hdf5::has_attribute(g, name, where) ? hdf5::read_string_attribute(g, name, where)
                                               : std::string();
  };
  impl_->metadata.cpu = optional_string("cpu");
  impl_->metadata.blas = optional_string("blas");
  impl_->metadata.blas_kernel = optional_string("blas_kernel");
  impl_->metadata.numerics = optional_string("numerics");
  impl_->metadata.stage_seconds = optional_string("stage_seconds");
  impl_->metadata.stopped = optional_string("stopped");
  impl_->metadata.defense_seconds = optional_string("defense_seconds");
  impl_->metadata.provenance = optional_string("provenance");
  impl_->complete = hdf5::read_int64_attribute(g, "complete", where) != 0;
  const auto& all = trace_schema::all_tables();
  for (size_t i = 0; i < all.size(); ++i)
    impl_->tables[i] = open_table(g, *all[i], impl_->trace_format, where);
  impl_->swmr = hdf5::is_swmr_read(impl_->file.get());
  impl_->refresh();
} catch (const std::bad_alloc&) {
  throw UserError(group.find_first_not_of('/') == std::string::npos ? path : path + ":" + group,
                  "corrupt HDF5 file: an attribute claims more memory than a trace's attributes "
                  "can need");
}

TraceReader::~TraceReader() = default;
TraceReader::TraceReader(TraceReader&&) noexcept = default;
TraceReader& TraceReader::operator=(TraceReader&&) noexcept = default;

const TraceMetadata& TraceReader::metadata() const { return impl_->metadata; }
int TraceReader::trace_format() const { return impl_->trace_format; }
bool TraceReader::complete() const { return impl_->complete; }
bool TraceReader::has_samples() const { return impl_->table(trace_schema::samples()).has_value(); }
const std::string& TraceReader::where() const { return impl_->where; }
bool TraceReader::in_progress() const { return impl_->swmr; }
void TraceReader::refresh() { impl_->refresh(); }

int64_t TraceReader::rows(const std::string& table) const {
  const trace_schema::Table* schema = trace_schema::find_table(table);
  if (!schema) throw std::invalid_argument("no trace table named '" + table + "'");
  return impl_->rows(*schema);
}

std::vector<EventRow> TraceReader::events() const {
  return impl_->read_all<EventRow>(trace_schema::events());
}

std::vector<SampleRow> TraceReader::samples(int64_t first, int64_t count) const {
  const int64_t total = impl_->rows(trace_schema::samples());
  if (first < 0 || first > total) {
    throw std::out_of_range(fmt::format("samples from row {} of {}", first, total));
  }
  if (count < 0 || first + count > total) count = total - first;
  std::vector<SampleRow> rows_out(static_cast<size_t>(count));
  impl_->read(trace_schema::samples(), first, count, rows_out.data());
  return rows_out;
}

void TraceReader::for_each_sample(const std::function<void(const SampleRow&)>& visit) const {
  impl_->for_each<SampleRow>(trace_schema::samples(), visit);
}

void TraceReader::for_each_score(const std::function<void(const ScoreRow&)>& visit) const {
  impl_->for_each<ScoreRow>(trace_schema::scores(), visit);
}

std::vector<RetrainRow> TraceReader::retrains() const {
  return impl_->read_all<RetrainRow>(trace_schema::retrains());
}

std::vector<EvaluationRow> TraceReader::evaluations() const {
  return impl_->read_all<EvaluationRow>(trace_schema::evaluations());
}

std::vector<DefenseRow> TraceReader::defense() const {
  return impl_->read_all<DefenseRow>(trace_schema::defense());
}

std::vector<ScoreRow> TraceReader::scores() const {
  return impl_->read_all<ScoreRow>(trace_schema::scores());
}

TraceContents read_trace(const std::string& path, const std::string& group) {
  TraceReader reader(path, group);
  TraceContents contents;
  contents.metadata = reader.metadata();
  contents.trace_format = reader.trace_format();
  contents.complete = reader.complete();
  contents.has_samples = reader.has_samples();
  contents.events = reader.events();
  contents.samples = reader.samples();
  contents.retrains = reader.retrains();
  contents.evaluations = reader.evaluations();
  contents.defense = reader.defense();
  contents.scores = reader.scores();
  return contents;
}

}  // namespace poisonsim
