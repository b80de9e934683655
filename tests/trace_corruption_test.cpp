// Corrupt trace files that HDF5 1.10.8 cannot be trusted with: the reader must refuse them in
// a UserError, not hang or read out of bounds. Found by tests/fuzz/fuzz_trace.cpp (its corpus
// keeps the original input as regression-gcol-free-space-loop).
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "pipeline/trace/trace_reader.h"
#include "pipeline/trace/trace_writer.h"
#include "tests/test_support.h"

namespace poisonsim {
namespace {

std::vector<uint8_t> read_bytes(const std::string& path) {
  const std::string text = test::read_text(path);
  return std::vector<uint8_t>(text.begin(), text.end());
}

// A small closed trace; its string attributes (the scenario, the version) live in a global
// heap collection, "GCOL".
std::vector<uint8_t> small_trace(const std::string& path) {
  TraceMetadata m;
  m.scenario_yaml = "duration: 10\n";
  m.version = "0.0.0-test";
  auto writer = TraceWriter::create_file(path, m, TraceOptions{});
  writer->close();
  return read_bytes(path);
}

uint64_t get_le64(const std::vector<uint8_t>& bytes, size_t at) {
  uint64_t value = 0;
  for (int i = 7; i >= 0; --i) value = value << 8 | bytes[at + static_cast<size_t>(i)];
  return value;
}

void set_le64(std::vector<uint8_t>& bytes, size_t at, uint64_t value) {
  for (int i = 0; i < 8; ++i) bytes[at + i] = static_cast<uint8_t>(value >> (8 * i));
}

// Offset of the object with the given index (0: the free space) in the collection at `start`,
// or 0 when the collection has none (a full collection has no free-space object).
size_t find_object(const std::vector<uint8_t>& bytes, size_t start, uint16_t wanted) {
  const size_t end = start + get_le64(bytes, start + 8);
  for (size_t p = start + 16; p + 16 <= end;) {
    const uint16_t index = static_cast<uint16_t>(bytes[p] | bytes[p + 1] << 8);
    if (index == wanted) return p;
    if (index == 0) break;
    p += 16 + (get_le64(bytes, p + 8) + 7) / 8 * 8;
  }
  return 0;
}

// The first collection with a free-space object (which of them has one depends on how many
// strings the trace's attributes hold).
size_t collection(const std::vector<uint8_t>& bytes) {
  const uint8_t signature[] = {'G', 'C', 'O', 'L', 1};
  for (size_t i = 0; i + sizeof signature <= bytes.size(); ++i)
    if (std::memcmp(bytes.data() + i, signature, sizeof signature) == 0 &&
        find_object(bytes, i, 0) != 0)
      return i;
  ADD_FAILURE() << "no global heap collection with free space in the trace";
  return 0;
}

size_t object(const std::vector<uint8_t>& bytes, size_t start, uint16_t wanted) {
  const size_t at = find_object(bytes, start, wanted);
  if (at == 0) ADD_FAILURE() << "no object " << wanted;
  return at == 0 ? start : at;
}

TEST(TraceCorruption, AFreeSpaceObjectOfZeroBytesIsRefusedInsteadOfLoopingForever) {
  test::ScratchDir dir;
  auto bytes = small_trace(dir.file("t.h5"));
  const size_t heap = collection(bytes);
  set_le64(bytes, object(bytes, heap, 0) + 8, 0);
  test::write_bytes(dir.file("loop.h5"), bytes);
  test::expect_user_error([&] { read_trace(dir.file("loop.h5")); }, dir.file("loop.h5"),
                          "corrupt HDF5 file: the global heap at byte " + std::to_string(heap));
}

TEST(TraceCorruption, AnObjectPastItsCollectionsEndIsRefused) {
  test::ScratchDir dir;
  auto bytes = small_trace(dir.file("t.h5"));
  const size_t heap = collection(bytes);
  set_le64(bytes, object(bytes, heap, 1) + 8, 1u << 20);
  test::write_bytes(dir.file("overrun.h5"), bytes);
  test::expect_user_error([&] { read_trace(dir.file("overrun.h5")); }, dir.file("overrun.h5"),
                          "claims 1048576 bytes, past the collection's end");
}

// fuzz_trace's find: a variable-length string whose heap reference names an object its
// collection lacks makes HDF5 1.10.8 read out of bounds. The child that reads first crashes
// instead of this process (pipeline/trace/hdf5_preflight.h).
TEST(TraceCorruption, AFileThatCrashesHdf5IsRefusedWithoutCrashingUs) {
  const std::string path =
      std::string(POISONSIM_SOURCE_DIR) + "/tests/fuzz/hdf5-known/dangling-heap-index-segv";
  test::expect_user_error([&] { read_trace(path); }, path,
                          "corrupt HDF5 file: reading its attributes crashes the HDF5 library");
}

TEST(TraceCorruption, AnIntactTraceReadsBack) {
  test::ScratchDir dir;
  small_trace(dir.file("t.h5"));
  EXPECT_EQ(read_trace(dir.file("t.h5")).metadata.scenario_yaml, "duration: 10\n");
}

}  // namespace
}  // namespace poisonsim
