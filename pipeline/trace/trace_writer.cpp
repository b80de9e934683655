#include "pipeline/trace/trace_writer.h"

#include <array>
#include <chrono>
#include <cstddef>
#include <exception>
#include <map>
#include <optional>
#include <stdexcept>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include "pipeline/trace/hdf5_attributes.h"
#include "pipeline/trace/hdf5_handles.h"
#include "pipeline/trace/table_appender.h"
#include "pipeline/trace/trace_schema.h"
#include "sim/util/error.h"

namespace poisonsim {

using hdf5::Hid;

namespace {

// Creates each missing component of `group_path` without modification times (determinism).
Hid create_group_chain(hid_t file, const std::string& group_path, const std::string& where) {
  const std::string context = "cannot create group '" + group_path + "'";
  Hid gcpl(hdf5::must(H5Pcreate(H5P_GROUP_CREATE), "H5Pcreate"), H5Pclose);
  hdf5::must(H5Pset_obj_track_times(gcpl.get(), false), "H5Pset_obj_track_times");
  Hid group = hdf5::owned(H5Gopen2(file, "/", H5P_DEFAULT), H5Gclose, where, context);
  size_t begin = 0;
  while (begin < group_path.size()) {
    size_t end = group_path.find('/', begin);
    if (end == std::string::npos) end = group_path.size();
    const std::string name = group_path.substr(begin, end - begin);
    begin = end + 1;
    if (name.empty()) continue;
    const bool last = group_path.find_first_not_of('/', begin) == std::string::npos;
    if (hdf5::check(H5Lexists(group.get(), name.c_str(), H5P_DEFAULT), where, context) > 0) {
      if (last) throw UserError(where, "group '" + group_path + "' already exists");
      group =
          hdf5::owned(H5Gopen2(group.get(), name.c_str(), H5P_DEFAULT), H5Gclose, where, context);
    } else {
      group =
          hdf5::owned(H5Gcreate2(group.get(), name.c_str(), H5P_DEFAULT, gcpl.get(), H5P_DEFAULT),
                      H5Gclose, where, context);
    }
  }
  return group;
}

bool is_root(const std::string& group_path) {
  return group_path.find_first_not_of('/') == std::string::npos;
}

}  // namespace

void TraceOptions::validate() const {
  if (compression < 0 || compression > 9) {
    throw UserError("trace.compression", fmt::format("must be 0 to 9, got {}", compression));
  }
  // HDF5 chunks are limited to 4 GiB; 2^20 rows stays far below for every table.
  if (chunk_rows < 1 || chunk_rows > (int64_t{1} << 20)) {
    throw UserError("trace.chunk_rows", fmt::format("must be 1 to 1048576, got {}", chunk_rows));
  }
  if (!(flush_seconds > 0)) {
    throw UserError("trace.flush_seconds", fmt::format("must be > 0, got {}", flush_seconds));
  }
}

struct TraceWriter::Impl {
  std::shared_ptr<hdf5::OpenFile> file;
  std::string where;
  Hid group;
  std::optional<hdf5::TableAppender> events, samples, retrains, evaluations, defense, scores;
  std::chrono::duration<double> flush_interval{30.0};
  std::chrono::steady_clock::time_point last_flush = std::chrono::steady_clock::now();
  bool closed = false;

  auto tables() {
    return std::array{&events, &samples, &retrains, &evaluations, &defense, &scores};
  }

  // Runs a step that writes to the file. When it fails (a full disk, a file-size limit), what
  // is on disk is the last flush plus writes HDF5 could not finish and does not point to yet;
  // closing would now write metadata pointing at them (and an end-of-file address beyond the
  // file's end), so every handle is abandoned instead and the file is never touched again.
  template <class Step>
  void write(Step&& step) {
    try {
      step();
    } catch (...) {
      abandon();
      throw;
    }
  }
  void abandon() {
    closed = true;
    for (auto* table : tables())
      if (*table) (*table)->abandon();
    group.abandon();
    if (file) file->id.abandon();
    file.reset();
  }
  void flush() {
    write([&] {
      for (auto* table : tables())
        if (*table) (*table)->flush();
      hdf5::check(H5Fflush(group.get(), H5F_SCOPE_LOCAL), where, "cannot flush the trace file");
    });
    last_flush = std::chrono::steady_clock::now();
  }
  // Flushes, optionally marks the run complete, then releases every handle.
  void finish(bool complete) {
    if (closed) return;
    if (complete)
      write(
          [&] { hdf5::write_integer_attribute(group.get(), "complete", 1, H5T_STD_U8LE, where); });
    flush();
    closed = true;
    for (auto* table : tables())
      if (*table) (*table)->release();
    group.reset();
    file.reset();
  }
  void check_open() const {
    if (closed) throw std::logic_error(where + ": trace written after close()");
  }
};

std::unique_ptr<TraceWriter> TraceWriter::create_file(const std::string& path,
                                                      const TraceMetadata& metadata,
                                                      const TraceOptions& options) {
  options.validate();
  TraceFile file = TraceFile::create(path, /*swmr=*/true);
  auto writer = create_group(file, "/", metadata, options);
  writer->impl_->write([&] { file.start_swmr_write(); });
  return writer;
}

std::unique_ptr<TraceWriter> TraceWriter::create_group(const TraceFile& file,
                                                       const std::string& group_path,
                                                       const TraceMetadata& metadata,
                                                       const TraceOptions& options) {
  options.validate();
  hdf5::silence_errors();
  auto impl = std::make_unique<Impl>();
  impl->file = file.file_;
  const auto& open_file = file.open_file();
  const bool root = is_root(group_path);
  impl->where = root ? open_file.path : open_file.path + ":" + group_path;
  const std::string& where = impl->where;
  if (options.compression > 0 && H5Zfilter_avail(H5Z_FILTER_DEFLATE) <= 0) {
    throw UserError("trace.compression", "this HDF5 library has no deflate filter; use 0");
  }
  impl->group = root ? hdf5::owned(H5Gopen2(open_file.id.get(), "/", H5P_DEFAULT), H5Gclose, where,
                                   "cannot open the root group")
                     : create_group_chain(open_file.id.get(), group_path, where);

  const hid_t group = impl->group.get();
  hdf5::write_string_attribute(group, "scenario", metadata.scenario_yaml, where);
  hdf5::write_integer_attribute(group, "seed", metadata.seed, H5T_STD_U64LE, where);
  hdf5::write_string_attribute(group, "poisonsim_version", metadata.version, where);
  hdf5::write_string_attribute(group, "cpu", metadata.cpu, where);
  hdf5::write_string_attribute(group, "blas", metadata.blas, where);
  hdf5::write_string_attribute(group, "blas_kernel", metadata.blas_kernel, where);
  hdf5::write_string_attribute(group, "numerics", metadata.numerics, where);
  if (!metadata.provenance.empty())
    hdf5::write_string_attribute(group, "provenance", metadata.provenance, where);
  hdf5::write_integer_attribute(group, "trace_format", kTraceFormat, H5T_STD_I32LE, where);
  hdf5::write_integer_attribute(group, "complete", 0, H5T_STD_U8LE, where);
  // Written when the run ends, but created now: a SWMR writer must not add objects later, and
  // overwriting an attribute's value keeps the file readable at every flush.
  hdf5::write_string_attribute(group, "stage_seconds", "", where);
  hdf5::write_string_attribute(group, "stopped", "", where);
  hdf5::write_string_attribute(group, "defense_seconds", "", where);

  // Every table exists from the start, empty if need be, so readers always find them.
  const auto make = [&](std::optional<hdf5::TableAppender>& table,
                        const trace_schema::Table& schema) {
    table.emplace(group, schema, options.compression, options.chunk_rows, where);
  };
  make(impl->events, trace_schema::events());
  if (options.samples) make(impl->samples, trace_schema::samples());
  make(impl->retrains, trace_schema::retrains());
  make(impl->evaluations, trace_schema::evaluations());
  make(impl->defense, trace_schema::defense());
  if (options.samples) make(impl->scores, trace_schema::scores());
  impl->flush_interval = std::chrono::duration<double>(options.flush_seconds);
  impl->flush();
  return std::unique_ptr<TraceWriter>(new TraceWriter(std::move(impl)));
}

TraceWriter::TraceWriter(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

TraceWriter::~TraceWriter() {
  try {
    impl_->finish(false);
  } catch (const std::exception& e) {
    // While an error unwinds the run, that error is the one message the user gets.
    if (std::uncaught_exceptions() == 0)
      fmt::print(stderr, "warning: the trace was not closed cleanly: {}\n", e.what());
  }
}

// Appending writes a chunk once enough rows are buffered, hence Impl::write.
void TraceWriter::add_event(const EventRow& row) {
  impl_->check_open();
  impl_->write([&] { impl_->events->append(&row, 1); });
}

void TraceWriter::add_samples(const SampleRow* rows, size_t count) {
  impl_->check_open();
  if (impl_->samples) impl_->write([&] { impl_->samples->append(rows, count); });
}

void TraceWriter::remove_samples(const SampleRemoval* removals, size_t count) {
  impl_->check_open();
  if (!impl_->samples) return;
  impl_->write([&] {
    // One write per stage (a window's removals come from a few stages).
    std::map<uint8_t, std::vector<int64_t>> by_stage;
    for (size_t i = 0; i < count; ++i) by_stage[removals[i].stage].push_back(removals[i].row);
    for (const auto& [stage, rows] : by_stage)
      impl_->samples->overwrite_byte("rejected_by", offsetof(SampleRow, rejected_by), rows.data(),
                                     rows.size(), stage);
  });
}

void TraceWriter::add_retrain(const RetrainRow& row) {
  impl_->check_open();
  impl_->write([&] { impl_->retrains->append(&row, 1); });
}

void TraceWriter::add_evaluation(const EvaluationRow& row) {
  impl_->check_open();
  impl_->write([&] { impl_->evaluations->append(&row, 1); });
}

void TraceWriter::add_defense(const DefenseRow& row) {
  impl_->check_open();
  impl_->write([&] { impl_->defense->append(&row, 1); });
}

void TraceWriter::add_scores(const ScoreRow* rows, size_t count) {
  impl_->check_open();
  if (impl_->scores && count > 0) impl_->write([&] { impl_->scores->append(rows, count); });
}

void TraceWriter::flush() {
  impl_->check_open();
  impl_->flush();
}

bool TraceWriter::flush_due() const {
  return !impl_->closed &&
         std::chrono::steady_clock::now() - impl_->last_flush >= impl_->flush_interval;
}

void TraceWriter::set_attribute(const std::string& name, const std::string& value) {
  impl_->check_open();
  if (name != "stage_seconds" && name != "stopped" && name != "defense_seconds")
    throw std::invalid_argument("trace attribute '" + name + "' is not written at the end");
  impl_->write(
      [&] { hdf5::write_string_attribute(impl_->group.get(), name.c_str(), value, impl_->where); });
}

void TraceWriter::close() { impl_->finish(true); }

void TraceWriter::close_incomplete() { impl_->finish(false); }

int64_t TraceWriter::rows(const std::string& table) const {
  const trace_schema::Table* schema = trace_schema::find_table(table);
  if (!schema) throw std::invalid_argument("no trace table named '" + table + "'");
  const auto& appender = schema == &trace_schema::events()     ? impl_->events
                         : schema == &trace_schema::samples()  ? impl_->samples
                         : schema == &trace_schema::retrains() ? impl_->retrains
                         : schema == &trace_schema::defense()  ? impl_->defense
                         : schema == &trace_schema::scores()   ? impl_->scores
                                                               : impl_->evaluations;
  return appender ? appender->rows() : 0;
}

bool TraceWriter::samples_enabled() const { return impl_->samples.has_value(); }

const std::string& TraceWriter::where() const { return impl_->where; }

}  // namespace poisonsim
