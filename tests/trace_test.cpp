// HDF5 traces: what the writer writes, the reader reads back, field by field; the attributes,
// the complete flag, determinism, and the errors a user can meet.
#include <chrono>
#include <cmath>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "pipeline/trace/hdf5_attributes.h"
#include "pipeline/trace/hdf5_handles.h"
#include "pipeline/trace/trace_reader.h"
#include "pipeline/trace/trace_schema.h"
#include "pipeline/trace/trace_writer.h"
#include "tests/test_support.h"
#include "tests/trace_row_fields.h"

namespace poisonsim {
namespace {

using test::expect_user_error;
using test::ScratchDir;

// Rows whose every field depends on i, so a swapped or dropped column shows.
EventRow make_event(int64_t i) {
  EventRow row;
  row.time = 0.5 * static_cast<double>(i);
  set_trace_name(row.kind, i % 2 ? "stream-batch" : "poison-batch");
  set_trace_name(row.source, "source-" + std::to_string(i % 3));
  row.batch_id = i;
  row.size = 10 + i;
  row.accepted = 7 + i;
  row.rejected = 3;
  return row;
}

SampleRow make_sample(int64_t i) {
  SampleRow row;
  row.time = 0.25 * static_cast<double>(i);
  row.batch_id = i / 4;
  set_trace_name(row.source, i % 5 ? "clean" : "an-attacker-with-a-long-name-that-is-cut");
  row.is_poison = i % 5 ? 0 : 1;
  row.label = i % 10;
  row.true_label = (i + 3) % 10;
  row.loss = 0.125f * static_cast<float>(i);
  row.prediction = (i + 1) % 10;
  row.rejected = i % 3 == 0 ? 1 : 0;
  row.model_version = i / 100;
  return row;
}

RetrainRow make_retrain(int64_t i) {
  RetrainRow row;
  row.time = 30.0 * static_cast<double>(i + 1);
  row.index = i;
  row.buffer_size = 1000 + i;
  row.poison_in_buffer = 10 * i;
  row.poison_fraction = 0.01 * static_cast<double>(i);
  row.validation_loss_before = 0.3 + static_cast<double>(i);
  row.validation_loss_after = 0.4 + static_cast<double>(i);
  row.validation_accuracy_before = 0.9 - 0.01 * static_cast<double>(i);
  row.validation_accuracy_after = 0.8 - 0.01 * static_cast<double>(i);
  row.test_accuracy_before = 0.7 - 0.01 * static_cast<double>(i);
  row.test_accuracy_after = 0.6 - 0.01 * static_cast<double>(i);
  set_trace_name(row.gate, i % 2 ? "refuse" : "allow");
  row.deployed = i % 2 ? 0 : 1;
  row.model_version = i;
  return row;
}

EvaluationRow make_evaluation(int64_t i) {
  EvaluationRow row;
  row.time = 10.0 * static_cast<double>(i);
  row.model_version = i / 2;
  row.accuracy = 0.5 + 0.001 * static_cast<double>(i);
  row.loss = 1.0 / static_cast<double>(i + 1);
  row.samples = 10000 - i;
  return row;
}

template <size_t N>
void expect_name_eq(const char (&a)[N], const char (&b)[N]) {
  EXPECT_EQ(trace_name(a), trace_name(b));
  EXPECT_EQ(std::memcmp(a, b, N), 0) << "NUL padding differs";
}

// Every field equal, and the NUL padding of name fields byte-identical.
void expect_eq(const EventRow& a, const EventRow& b) {
  EXPECT_EQ(test::row_fields(a), test::row_fields(b));
  expect_name_eq(a.kind, b.kind);
  expect_name_eq(a.source, b.source);
}

void expect_eq(const SampleRow& a, const SampleRow& b) {
  EXPECT_EQ(test::row_fields(a), test::row_fields(b));
  expect_name_eq(a.source, b.source);
}

void expect_eq(const RetrainRow& a, const RetrainRow& b) {
  EXPECT_EQ(test::row_fields(a), test::row_fields(b));
  expect_name_eq(a.gate, b.gate);
}

void expect_eq(const EvaluationRow& a, const EvaluationRow& b) {
  EXPECT_EQ(test::row_fields(a), test::row_fields(b));
}

template <class Row, class Make>
void expect_rows(const std::vector<Row>& rows, size_t count, Make make) {
  ASSERT_EQ(rows.size(), count);
  for (size_t i = 0; i < count; ++i) {
    SCOPED_TRACE("row " + std::to_string(i));
    expect_eq(rows[i], make(static_cast<int64_t>(i)));
  }
}

TraceMetadata metadata() {
  TraceMetadata m;
  m.scenario_yaml = "seed: 18446744073709551615\nstreams:\n  - name: clean  # \xc3\xa9t\xc3\xa9\n";
  m.seed = 18446744073709551615ull;
  m.version = "0.1.0-test";
  return m;
}

TraceOptions options(int64_t chunk_rows, bool samples = true, int compression = 4) {
  TraceOptions o;
  o.chunk_rows = chunk_rows;
  o.samples = samples;
  o.compression = compression;
  return o;
}

// Counts that cross chunk boundaries (chunk_rows 7) several times, and some that do not.
struct Counts {
  int64_t events = 50, samples = 123, retrains = 9, evaluations = 3;
};

void write_rows(TraceWriter& writer, const Counts& n) {
  for (int64_t i = 0; i < n.events; ++i) writer.add_event(make_event(i));
  // Samples arrive in batches of varied size, some larger than a chunk.
  std::vector<SampleRow> batch;
  for (int64_t i = 0; i < n.samples; ++i) {
    batch.push_back(make_sample(i));
    if (batch.size() == static_cast<size_t>(1 + i % 17) || i + 1 == n.samples) {
      writer.add_samples(batch.data(), batch.size());
      batch.clear();
    }
    if (i == 60) writer.flush();  // a flush in the middle of a chunk
  }
  for (int64_t i = 0; i < n.retrains; ++i) writer.add_retrain(make_retrain(i));
  for (int64_t i = 0; i < n.evaluations; ++i) writer.add_evaluation(make_evaluation(i));
}

TEST(Trace, EveryFieldOfEveryTableRoundTripsAcrossChunks) {
  ScratchDir dir;
  const Counts n;
  auto writer = TraceWriter::create_file(dir.file("t.h5"), metadata(), options(7));
  write_rows(*writer, n);
  EXPECT_EQ(writer->rows("events"), n.events);
  EXPECT_EQ(writer->rows("samples"), n.samples);
  EXPECT_EQ(writer->rows("retrains"), n.retrains);
  EXPECT_EQ(writer->rows("evaluations"), n.evaluations);
  writer->close();

  const auto trace = read_trace(dir.file("t.h5"));
  EXPECT_TRUE(trace.has_samples);
  expect_rows(trace.events, n.events, make_event);
  expect_rows(trace.samples, n.samples, make_sample);
  expect_rows(trace.retrains, n.retrains, make_retrain);
  expect_rows(trace.evaluations, n.evaluations, make_evaluation);
}

TEST(Trace, UncompressedAndStronglyCompressedReadTheSame) {
  ScratchDir dir;
  for (int compression : {0, 9}) {
    const std::string path = dir.file("c" + std::to_string(compression) + ".h5");
    auto writer = TraceWriter::create_file(path, metadata(), options(16, true, compression));
    write_rows(*writer, Counts{});
    writer->close();
    const auto trace = read_trace(path);
    expect_rows(trace.samples, Counts{}.samples, make_sample);
  }
}

TEST(Trace, SamplesTableCanBeOff) {
  ScratchDir dir;
  auto writer = TraceWriter::create_file(dir.file("t.h5"), metadata(), options(7, false));
  EXPECT_FALSE(writer->samples_enabled());
  write_rows(*writer, Counts{});
  EXPECT_EQ(writer->rows("samples"), 0);
  writer->close();

  TraceReader reader(dir.file("t.h5"));
  EXPECT_FALSE(reader.has_samples());
  EXPECT_EQ(reader.rows("samples"), 0);
  EXPECT_TRUE(reader.samples().empty());
  expect_rows(reader.events(), Counts{}.events, make_event);
}

TEST(Trace, TablesExistWhenNothingWasAdded) {
  ScratchDir dir;
  TraceWriter::create_file(dir.file("t.h5"), metadata(), options(7))->close();
  const auto trace = read_trace(dir.file("t.h5"));
  EXPECT_TRUE(trace.has_samples);
  EXPECT_TRUE(trace.events.empty());
  EXPECT_TRUE(trace.samples.empty());
  EXPECT_TRUE(trace.retrains.empty());
  EXPECT_TRUE(trace.evaluations.empty());
  EXPECT_TRUE(trace.complete);
}

TEST(Trace, SamplesReadInParts) {
  ScratchDir dir;
  auto writer = TraceWriter::create_file(dir.file("t.h5"), metadata(), options(7));
  write_rows(*writer, Counts{});
  writer->close();
  TraceReader reader(dir.file("t.h5"));
  const auto part = reader.samples(100, 10);
  ASSERT_EQ(part.size(), 10u);
  expect_eq(part[3], make_sample(103));
  EXPECT_EQ(reader.samples(120, 50).size(), 3u);  // clipped at the end
  EXPECT_TRUE(reader.samples(123).empty());
}

TEST(Trace, AttributesRoundTrip) {
  ScratchDir dir;
  TraceWriter::create_file(dir.file("t.h5"), metadata(), options(7))->close();
  TraceReader reader(dir.file("t.h5"));
  EXPECT_EQ(reader.metadata().scenario_yaml, metadata().scenario_yaml);
  EXPECT_EQ(reader.metadata().seed, metadata().seed);
  EXPECT_EQ(reader.metadata().version, metadata().version);
  EXPECT_EQ(reader.trace_format(), kTraceFormat);
}

TEST(Trace, CompleteIsZeroUntilCloseAndFlushedRowsAreVisibleMeanwhile) {
  ScratchDir dir;
  const std::string path = dir.file("t.h5");
  auto writer = TraceWriter::create_file(path, metadata(), options(7));
  for (int64_t i = 0; i < 5; ++i) writer->add_event(make_event(i));
  writer->flush();
  {
    TraceReader reader(path);
    EXPECT_FALSE(reader.complete());
    expect_rows(reader.events(), 5, make_event);
  }
  writer->close();
  writer->close();  // idempotent
  EXPECT_TRUE(TraceReader(path).complete());
}

TEST(Trace, FlushIsDueOnceItsIntervalOfWallTimeHasPassed) {
  ScratchDir dir;
  auto o = options(7);
  o.flush_seconds = 0.2;
  auto writer = TraceWriter::create_file(dir.file("t.h5"), metadata(), o);
  EXPECT_FALSE(writer->flush_due());  // creating the trace flushed it
  std::this_thread::sleep_for(std::chrono::milliseconds(250));
  EXPECT_TRUE(writer->flush_due());
  writer->flush();
  EXPECT_FALSE(writer->flush_due());
  std::this_thread::sleep_for(std::chrono::milliseconds(250));
  writer->close();
  EXPECT_FALSE(writer->flush_due());
}

// A SWMR writer may not create attributes: those written at the end exist from the start.
TEST(Trace, AttributesWrittenAtTheEndExistFromTheStart) {
  ScratchDir dir;
  const std::string path = dir.file("t.h5");
  auto writer = TraceWriter::create_file(path, metadata(), options(7));
  EXPECT_THROW(writer->set_attribute("other", "x"), std::invalid_argument);
  EXPECT_EQ(TraceReader(path).metadata().stopped, "");
  writer->set_attribute("stage_seconds", "{}");
  writer->set_attribute("stopped", "SIGINT at simulated time 1 s of 2");
  writer->close_incomplete();
  const TraceReader reader(path);
  EXPECT_FALSE(reader.in_progress());  // closed: a plain open reads it
  EXPECT_EQ(reader.metadata().stage_seconds, "{}");
  EXPECT_EQ(reader.metadata().stopped, "SIGINT at simulated time 1 s of 2");
}

TEST(Trace, DestroyingWithoutCloseKeepsRowsButLeavesIncomplete) {
  ScratchDir dir;
  const std::string path = dir.file("t.h5");
  {
    auto writer = TraceWriter::create_file(path, metadata(), options(7));
    for (int64_t i = 0; i < 3; ++i) writer->add_retrain(make_retrain(i));
  }
  const auto trace = read_trace(path);
  EXPECT_FALSE(trace.complete);
  expect_rows(trace.retrains, 3, make_retrain);
}

TEST(Trace, SameRowsGiveByteIdenticalFiles) {
  ScratchDir dir;
  for (const char* name : {"a.h5", "b.h5"}) {
    auto writer = TraceWriter::create_file(dir.file(name), metadata(), options(7));
    write_rows(*writer, Counts{});
    writer->close();
    // HDF5 timestamps have one-second resolution: a gap shows any that slipped in.
    std::this_thread::sleep_for(std::chrono::milliseconds(1100));
  }
  const std::string a = test::read_text(dir.file("a.h5"));
  EXPECT_GT(a.size(), 1000u);
  EXPECT_TRUE(a == test::read_text(dir.file("b.h5")));
}

TEST(Trace, RunsInGroupsOfOneFile) {
  ScratchDir dir;
  const std::string path = dir.file("sweep.h5");
  {
    TraceFile file = TraceFile::create(path);
    auto first = TraceWriter::create_group(file, "runs/0", metadata(), options(7));
    auto second = TraceWriter::create_group(file, "/runs/1", metadata(), options(7, false));
    file.close();  // the writers keep the file open
    for (int64_t i = 0; i < 20; ++i) first->add_event(make_event(i));
    for (int64_t i = 0; i < 4; ++i) second->add_evaluation(make_evaluation(i));
    EXPECT_EQ(second->where(), path + ":/runs/1");
    first->close();
    second->close();
  }
  expect_rows(read_trace(path, "/runs/0").events, 20, make_event);
  const auto second = read_trace(path, "/runs/1");
  EXPECT_FALSE(second.has_samples);
  EXPECT_TRUE(second.events.empty());
  expect_rows(second.evaluations, 4, make_evaluation);

  // Reopened to add a run; an existing run's group is not overwritten.
  TraceFile file = TraceFile::open(path);
  TraceWriter::create_group(file, "runs/2", metadata(), options(7))->close();
  expect_user_error([&] { TraceWriter::create_group(file, "runs/1", metadata(), options(7)); },
                    path, "already exists");
  expect_user_error([&] { TraceReader reader(path, "/runs/9"); }, path, "no group '/runs/9'");
  expect_user_error([&] { TraceReader reader(path, "/nowhere/1"); }, path, "no group '/nowhere/1'");
  expect_user_error([&] { TraceReader reader(path); }, path, "not a poisonsim trace");
}

TEST(TraceErrors, UnwritablePath) {
  ScratchDir dir;
  const std::string path = dir.file("missing-dir/t.h5");
  expect_user_error([&] { TraceWriter::create_file(path, metadata(), options(7)); }, path,
                    "cannot create the trace file: No such file or directory");
}

TEST(TraceErrors, BadOptions) {
  ScratchDir dir;
  expect_user_error(
      [&] { TraceWriter::create_file(dir.file("t.h5"), metadata(), options(7, true, 10)); },
      "trace.compression", "0 to 9");
  expect_user_error([&] { TraceWriter::create_file(dir.file("t.h5"), metadata(), options(0)); },
                    "trace.chunk_rows", "1 to 1048576");
  auto never = options(7);
  never.flush_seconds = 0;
  expect_user_error([&] { TraceWriter::create_file(dir.file("t.h5"), metadata(), never); },
                    "trace.flush_seconds", "must be > 0");
}

TEST(TraceErrors, MissingFileAndFilesThatAreNotHdf5) {
  ScratchDir dir;
  expect_user_error([&] { read_trace(dir.file("none.h5")); }, dir.file("none.h5"), "no such file");
  test::write_text(dir.file("text.h5"), "seed: 1\nthis is YAML, not HDF5\n");
  expect_user_error([&] { read_trace(dir.file("text.h5")); }, dir.file("text.h5"),
                    "not an HDF5 file");
  test::write_text(dir.file("empty.h5"), "");
  expect_user_error([&] { read_trace(dir.file("empty.h5")); }, dir.file("empty.h5"),
                    "not an HDF5 file");
  expect_user_error([&] { read_trace(dir.path()); }, dir.path(), "is a directory");
}

TEST(TraceErrors, Hdf5FileWithoutTraceTables) {
  ScratchDir dir;
  const std::string path = dir.file("plain.h5");
  TraceFile::create(path).close();
  expect_user_error([&] { read_trace(path); }, path, "not a poisonsim trace");
}

// Forges files with the HDF5 API: other formats and damaged traces.
class ForgedTrace : public ::testing::Test {
 protected:
  void SetUp() override {
    TraceWriter::create_file(path_, metadata(), options(7))->close();
    hdf5::silence_errors();
    file_ = hdf5::Hid(H5Fopen(path_.c_str(), H5F_ACC_RDWR, H5P_DEFAULT), H5Fclose);
    ASSERT_TRUE(file_.valid());
  }
  ScratchDir dir_;
  std::string path_ = dir_.file("t.h5");
  hdf5::Hid file_;
};

void set_format(hid_t file, int format) {
  hdf5::Hid attribute(H5Aopen(file, "trace_format", H5P_DEFAULT), H5Aclose);
  ASSERT_GE(H5Awrite(attribute.get(), H5T_NATIVE_INT, &format), 0);
}

TEST_F(ForgedTrace, OtherTraceFormat) {
  set_format(file_.get(), kTraceFormat + 1);
  file_.reset();
  expect_user_error([&] { read_trace(path_); }, path_,
                    fmt::format("trace_format {} is not supported", kTraceFormat + 1));
}

// A trace_format 1 retrains table (no test accuracy columns) reads, with NaN in their place;
// claiming format 2 for it is an error naming the missing column.
TEST_F(ForgedTrace, FormatOneRetrainsReadWithoutTestAccuracy) {
  ASSERT_GE(H5Ldelete(file_.get(), "retrains", H5P_DEFAULT), 0);
  hdf5::Hid type(H5Tcopy(trace_schema::memory_type(trace_schema::retrains()).get()), H5Tclose);
  // Rebuild the compound without the format-2 members, at the same offsets.
  hdf5::Hid old(H5Tcreate(H5T_COMPOUND, sizeof(RetrainRow)), H5Tclose);
  for (const auto& column : trace_schema::retrains().columns) {
    if (column.since_format > 1) continue;
    const int index = H5Tget_member_index(type.get(), column.name);
    hdf5::Hid member(H5Tget_member_type(type.get(), static_cast<unsigned>(index)), H5Tclose);
    ASSERT_GE(H5Tinsert(old.get(), column.name, column.offset, member.get()), 0);
  }
  const hsize_t size = 1;
  hdf5::Hid space(H5Screate_simple(1, &size, nullptr), H5Sclose);
  hdf5::Hid dataset(H5Dcreate2(file_.get(), "retrains", old.get(), space.get(), H5P_DEFAULT,
                               H5P_DEFAULT, H5P_DEFAULT),
                    H5Dclose);
  const RetrainRow row = make_retrain(3);
  ASSERT_GE(H5Dwrite(dataset.get(), old.get(), H5S_ALL, H5S_ALL, H5P_DEFAULT, &row), 0);
  dataset.reset();
  set_format(file_.get(), 1);
  file_.reset();
  const TraceContents trace = read_trace(path_);
  ASSERT_EQ(trace.retrains.size(), 1u);
  EXPECT_EQ(trace.retrains[0].validation_accuracy_after, row.validation_accuracy_after);
  EXPECT_EQ(trace_name(trace.retrains[0].gate), "refuse");
  EXPECT_TRUE(std::isnan(trace.retrains[0].test_accuracy_before));
  EXPECT_TRUE(std::isnan(trace.retrains[0].test_accuracy_after));

  file_ = hdf5::Hid(H5Fopen(path_.c_str(), H5F_ACC_RDWR, H5P_DEFAULT), H5Fclose);
  set_format(file_.get(), 2);
  file_.reset();
  expect_user_error([&] { read_trace(path_); }, path_,
                    "table 'retrains' has no column 'test_accuracy_before'");
}

// Every column carries its units and a description, for readers that meet the file alone.
TEST(TraceSchema, EveryColumnHasUnitsAndDescriptionAttributes) {
  ScratchDir dir;
  const std::string path = dir.file("t.h5");
  TraceWriter::create_file(path, metadata(), options(7))->close();
  hdf5::Hid file(H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT), H5Fclose);
  for (const auto* table : trace_schema::all_tables()) {
    hdf5::Hid dataset(H5Dopen2(file.get(), table->name, H5P_DEFAULT), H5Dclose);
    for (const auto& column : table->columns) {
      const std::string name = column.name;
      SCOPED_TRACE(std::string(table->name) + "." + name);
      EXPECT_EQ(hdf5::read_string_attribute(dataset.get(), (name + ".units").c_str(), path),
                column.units);
      const std::string description =
          hdf5::read_string_attribute(dataset.get(), (name + ".description").c_str(), path);
      EXPECT_EQ(description, column.description);
      EXPECT_FALSE(description.empty());
    }
  }
}

TEST_F(ForgedTrace, MissingTable) {
  ASSERT_GE(H5Ldelete(file_.get(), "retrains", H5P_DEFAULT), 0);
  file_.reset();
  expect_user_error([&] { read_trace(path_); }, path_, "no 'retrains' table");
}

TEST_F(ForgedTrace, TableWithoutAColumn) {
  ASSERT_GE(H5Ldelete(file_.get(), "events", H5P_DEFAULT), 0);
  hdf5::Hid type(H5Tcreate(H5T_COMPOUND, sizeof(double)), H5Tclose);
  H5Tinsert(type.get(), "time", 0, H5T_NATIVE_DOUBLE);
  const hsize_t size = 0;
  hdf5::Hid space(H5Screate_simple(1, &size, nullptr), H5Sclose);
  hdf5::Hid dataset(H5Dcreate2(file_.get(), "events", type.get(), space.get(), H5P_DEFAULT,
                               H5P_DEFAULT, H5P_DEFAULT),
                    H5Dclose);
  ASSERT_TRUE(dataset.valid());
  dataset.reset();
  file_.reset();
  expect_user_error([&] { read_trace(path_); }, path_, "table 'events' has no column 'kind'");
}

// A member added to a row struct but not to the schema would silently never be written: the
// columns must tile each struct, with gaps no larger than alignment padding.
TEST(TraceSchema, ColumnsCoverEveryMember) {
  for (const auto* table : trace_schema::all_tables()) {
    SCOPED_TRACE(table->name);
    size_t end = 0;
    for (const auto& column : table->columns) {
      const size_t align = column.type == trace_schema::ColumnType::name ? 1 : column.size;
      EXPECT_EQ(column.offset, (end + align - 1) / align * align) << column.name;
      end = column.offset + column.size;
    }
    EXPECT_EQ(table->row_size, (end + 7) / 8 * 8);
  }
}

}  // namespace
}  // namespace poisonsim
