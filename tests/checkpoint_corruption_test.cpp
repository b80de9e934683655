// Damaged checkpoints that HDF5 1.10.8 cannot be trusted with (issue 28): every single-byte
// change of a checkpoint ends in a UserError (one `error:` line from `poisonsim resume`) or, where
// the byte is one HDF5 never reads, in the checkpoint as written; never in a crash, a hang or a
// runaway allocation. The checkpoint reader has the trace reader's guards for this
// (pipeline/trace/checkpoint_file.h); tests/fuzz/fuzz_checkpoint.cpp goes further.
#include <cstdint>
#include <exception>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "pipeline/trace/checkpoint_file.h"
#include "pipeline/trace/trace_writer.h"
#include "sim/util/error.h"
#include "tests/test_support.h"

namespace poisonsim {
namespace {

// A checkpoint shaped like a run's: string attributes in a global heap, a state that deflate
// shrinks only partly, and the bytes of a real (small) trace.
CheckpointFile sample_checkpoint(const test::ScratchDir& dir) {
  TraceMetadata m;
  m.scenario_yaml = "duration: 10\n";
  m.version = "0.0.0-test";
  TraceWriter::create_file(dir.file("t.h5"), m, TraceOptions{})->close();
  CheckpointFile c;
  c.poisonsim_version = "0.0.0-test";
  c.build_commit = "0123456789abcdef0123456789abcdef01234567";
  c.scenario_path = "scenario.yaml";
  c.scenario_yaml = "seed: 5\nduration: 100\ndata: {kind: synthetic}\n";
  c.data_files = "";
  c.trace_output = "run.h5";
  c.time = 40.5;
  c.every = 20;
  c.machine = "a CPU; a BLAS";
  uint64_t x = 1;
  for (int i = 0; i < 6000; ++i) {
    x = x * 6364136223846793005ULL + 1442695040888963407ULL;
    c.state.push_back(static_cast<char>(i % 3 == 0 ? x >> 56 : i % 7));
  }
  c.trace = test::read_text(dir.file("t.h5"));
  return c;
}

TEST(CheckpointCorruption, EverySingleByteChangeIsAnErrorOrHarmless) {
  test::ScratchDir dir;
  const CheckpointFile original = sample_checkpoint(dir);
  write_checkpoint_file(dir.file("c.ckpt"), original);
  const std::string bytes = test::read_text(dir.file("c.ckpt"));
  ASSERT_GT(bytes.size(), 4096u);
  // HDF5 keeps its metadata near the start (superblock, object headers, the global heap of the
  // string attributes) and the end (the datasets' headers and chunk indexes): every 7th byte
  // there, every 211th in between (compressed chunks, which the digests cover). Without the
  // guards, such a sample crashed HDF5 (SIGSEGV, heap corruption) or hung it dozens of times.
  std::vector<size_t> positions;
  for (size_t at = 0; at < bytes.size(); at += (at < 3400 || at + 512 > bytes.size()) ? 7 : 211)
    positions.push_back(at);
  size_t errors = 0, harmless = 0;
  for (const size_t at : positions) {
    std::string flipped = bytes;
    flipped[at] = static_cast<char>(flipped[at] ^ 0x5a);
    const auto path = dir.file("flipped.ckpt");
    test::write_text(path, flipped);
    try {
      const CheckpointFile read = read_checkpoint_file(path);
      EXPECT_EQ(read.state, original.state) << "byte " << at;
      EXPECT_EQ(read.scenario_yaml, original.scenario_yaml) << "byte " << at;
      ++harmless;
    } catch (const UserError& e) {
      EXPECT_NE(std::string(e.what()).find(path), std::string::npos) << e.what();
      ++errors;
    } catch (const std::exception& e) {
      ADD_FAILURE() << "byte " << at << ": not a UserError: " << e.what();
    }
  }
  EXPECT_GT(errors, 0u) << harmless << " changes were harmless, none refused";
}

}  // namespace
}  // namespace poisonsim
