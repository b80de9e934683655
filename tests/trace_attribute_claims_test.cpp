// A trace whose damaged attribute claims gigabytes (issue 28). HDF5 1.10.8 allocates, and
// copies, as many bytes as a variable-length string's stored length says before poisonsim sees
// one of them; the trace reader caps its address space while it reads the attributes
// (sim/util/address_space_cap.h), so such a claim is one error line, within 1 GB of what the
// process had, instead of gigabytes (or the OOM killer under a memory limit). In cli_tests, not
// the ASan suites: the cap is off under AddressSanitizer.
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdint>
#include <cstring>
#include <exception>
#include <string>

#include <gtest/gtest.h>

#include "pipeline/trace/trace_reader.h"
#include "pipeline/trace/trace_writer.h"
#include "sim/util/error.h"
#include "tests/background_run.h"
#include "tests/test_support.h"

namespace poisonsim {
namespace {

std::string little_endian(uint64_t value, int bytes) {
  std::string out;
  for (int i = 0; i < bytes; ++i) out.push_back(static_cast<char>(value >> (8 * i)));
  return out;
}

uint32_t rotate(uint32_t x, int k) { return (x << k) | (x >> (32 - k)); }

// HDF5's checksum of its metadata (H5_checksum_metadata): Bob Jenkins' lookup3 hashlittle with
// initial value 0. A trace's object headers carry one, so a damaged byte must be signed again to
// reach the code that reads it, as an attacker (or a lucky bit flip) would.
uint32_t hdf5_checksum(const std::string& bytes, size_t begin, size_t end) {
  const auto* k = reinterpret_cast<const uint8_t*>(bytes.data()) + begin;
  size_t length = end - begin;
  uint32_t a = 0xdeadbeef + static_cast<uint32_t>(length), b = a, c = a;
  const auto word = [](const uint8_t* p) {
    return uint32_t{p[0]} | uint32_t{p[1]} << 8 | uint32_t{p[2]} << 16 | uint32_t{p[3]} << 24;
  };
  while (length > 12) {
    a += word(k);
    b += word(k + 4);
    c += word(k + 8);
    // lookup3's mix()
    // clang-format off
    a -= c; a ^= rotate(c, 4);  c += b;
    b -= a; b ^= rotate(a, 6);  a += c;
    c -= b; c ^= rotate(b, 8);  b += a;
    a -= c; a ^= rotate(c, 16); c += b;
    b -= a; b ^= rotate(a, 19); a += c;
    c -= b; c ^= rotate(b, 4);  b += a;
    // clang-format on
    length -= 12;
    k += 12;
  }
  if (length == 0) return c;
  uint8_t tail[12] = {};
  std::memcpy(tail, k, length);
  a += word(tail);
  b += word(tail + 4);
  c += word(tail + 8);
  // lookup3's final()
  // clang-format off
  c ^= b; c -= rotate(b, 14);
  a ^= c; a -= rotate(c, 11);
  b ^= a; b -= rotate(a, 25);
  c ^= b; c -= rotate(b, 16);
  a ^= c; a -= rotate(c, 4);
  b ^= a; b -= rotate(a, 14);
  c ^= b; c -= rotate(b, 24);
  // clang-format on
  return c;
}

uint32_t stored_checksum(const std::string& bytes, size_t at) {
  uint32_t value = 0;
  std::memcpy(&value, bytes.data() + at, 4);  // little-endian, as the machine
  return value;
}

// Signs again the object header chunk (signature OHDR or OCHK, checksum at its end) that holds
// byte `at`, changed since `original` was written: the chunk is found as the last signature
// before `at` whose checksum over the original bytes verifies at some end past `at`.
void sign_again(std::string& bytes, const std::string& original, size_t at) {
  size_t chunk = std::string::npos, chunk_end = 0;
  for (const char* signature : {"OHDR", "OCHK"})
    for (size_t start = original.find(signature); start < at;
         start = original.find(signature, start + 4))
      for (size_t end = at + 4; end + 4 <= original.size() && end < start + 65536; ++end)
        if (hdf5_checksum(original, start, end) == stored_checksum(original, end)) {
          if (chunk == std::string::npos || start > chunk) {
            chunk = start;
            chunk_end = end;
          }
          break;
        }
  ASSERT_NE(chunk, std::string::npos) << "no object header chunk holds byte " << at;
  const uint32_t checksum = hdf5_checksum(bytes, chunk, chunk_end);
  std::memcpy(&bytes[chunk_end], &checksum, 4);
}

// A small closed trace whose scenario attribute claims `length` bytes. A variable-length string
// is stored as its length (4 bytes), the address of the global heap collection holding it (8)
// and its index there (4); the file's addresses are its byte offsets.
std::string trace_whose_scenario_claims(const test::ScratchDir& dir, uint32_t length) {
  const std::string scenario = "duration: 10\n";
  TraceMetadata m;
  m.scenario_yaml = scenario;
  m.version = "0.0.0-test";
  TraceWriter::create_file(dir.file("t.h5"), m, TraceOptions{})->close();
  const std::string original = test::read_text(dir.file("t.h5"));
  std::string bytes = original;
  const size_t heap = bytes.find("GCOL");
  EXPECT_NE(heap, std::string::npos) << "no global heap collection in the trace";
  const std::string reference = little_endian(scenario.size(), 4) + little_endian(heap, 8);
  const size_t at = bytes.find(reference);
  EXPECT_NE(at, std::string::npos) << "no reference to the scenario's string";
  EXPECT_EQ(bytes.find(reference, at + 1), std::string::npos) << "two candidates";
  bytes.replace(at, 4, little_endian(length, 4));
  sign_again(bytes, original, at);
  const std::string path = dir.file("claims.h5");
  test::write_text(path, bytes);
  return path;
}

// Reads the trace in a child process; returns its exit code (0: a UserError naming the file and
// the attribute, 3: no error, 4: another exception) and its peak resident memory in KiB.
std::pair<int, long> read_in_child(const std::string& path) {
  const pid_t pid = fork();
  if (pid == 0) {
    int code = 3;
    try {
      TraceReader reader(path);
    } catch (const UserError& e) {
      const std::string message = e.what();
      code = message.find(path) != std::string::npos &&
                     message.find("attribute 'scenario'") != std::string::npos
                 ? 0
                 : 5;
    } catch (const std::exception&) {
      code = 4;
    }
    _exit(code);
  }
  int status = 0;
  struct rusage usage {};
  wait4(pid, &status, 0, &usage);
  return {WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status), usage.ru_maxrss};
}

TEST(TraceAttributeClaims, AStringClaimingTwoGigabytesIsOneErrorWithinTheCap) {
  test::ScratchDir dir;
  const std::string path = trace_whose_scenario_claims(dir, 0x7ffffff0u);
  const auto [code, peak_kib] = read_in_child(path);
  // The cap lets a reader (or its forked preflight) grow by at most 1 GB; without it, 4.3 GB
  // resident, and the scenario was read as 2 GB of garbage without an error.
  EXPECT_LT(peak_kib, 1536 * 1024) << "the reader allocated what the attribute claims";
  ASSERT_EQ(code, 0) << "not a UserError naming the file and the attribute";

  const auto inspect = test::run_poisonsim("inspect " + path);
  EXPECT_EQ(inspect.exit_code, 2) << inspect.output;
  EXPECT_TRUE(test::single_error_line(inspect.output)) << inspect.output;
  EXPECT_EQ(inspect.output.rfind("error: " + path + ": cannot read attribute 'scenario'", 0), 0u)
      << inspect.output;
}

TEST(TraceAttributeClaims, TheSameTraceUndamagedReadsAsWritten) {
  test::ScratchDir dir;
  const std::string path = trace_whose_scenario_claims(dir, 13);  // the true length
  EXPECT_EQ(TraceReader(path).metadata().scenario_yaml, "duration: 10\n");
}

}  // namespace
}  // namespace poisonsim
