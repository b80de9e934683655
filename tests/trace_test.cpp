// HDF5 traces: what the writer writes, the reader reads back, field by field; the attributes,
// the complete flag, flushing, determinism, and several runs in one file. The errors a user can
// meet: trace_errors_test.cpp.
#include <chrono>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "pipeline/trace/trace_reader.h"
#include "pipeline/trace/trace_writer.h"
#include "tests/test_support.h"
#include "tests/trace_row_fields.h"
#include "tests/trace_test_data.h"

namespace poisonsim {
namespace {

using test::expect_user_error;
using test::make_evaluation;
using test::make_event;
using test::make_retrain;
using test::make_sample;
using test::metadata;
using test::options;
using test::ScratchDir;

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

}  // namespace
}  // namespace poisonsim
