// The trace reader (HDF5) on arbitrary bytes: a file that is not a poisonsim trace must end in a
// UserError. Reads every table, as `poisonsim inspect` does.
#include <cstddef>
#include <cstdint>

#include "pipeline/trace/trace_reader.h"
#include "sim/error.h"
#include "tests/fuzz/fuzz_input_file.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const auto path = poisonsim::fuzz::write_scratch_file("trace.h5", data, size);
  try {
    poisonsim::read_trace(path);
  } catch (const poisonsim::UserError&) {
  }
  return 0;
}
