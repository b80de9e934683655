// HDF5 traces: the errors a user can meet (unwritable paths, bad options, files that are not
// traces, files forged with the HDF5 API: other formats, missing tables and columns), and the
// schema every column is written by. Round trips: trace_test.cpp.
#include <cmath>
#include <string>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "pipeline/trace/hdf5_attributes.h"
#include "pipeline/trace/hdf5_handles.h"
#include "pipeline/trace/trace_reader.h"
#include "pipeline/trace/trace_schema.h"
#include "pipeline/trace/trace_writer.h"
#include "tests/test_support.h"
#include "tests/trace_test_data.h"

namespace poisonsim {
namespace {

using test::expect_user_error;
using test::make_retrain;
using test::metadata;
using test::options;
using test::ScratchDir;

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
