// The trace reader (HDF5) on arbitrary bytes: a file that is not a poisonsim trace must end in a
// UserError. Reads every table, as `poisonsim inspect` does.
//
// Leak detection is off for this target (tools/scripts/fuzz.sh): HDF5 1.10.8 itself loses small
// allocations on some error paths of corrupt object headers (H5O_msg_read_oh, H5Aget_type),
// below any handle poisonsim holds. What poisonsim can leak through HDF5 is an open
// identifier, and that is checked here after every input instead.
#include <hdf5.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>

#include "pipeline/trace/trace_reader.h"
#include "sim/util/error.h"
#include "tests/fuzz/fuzz_input_file.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const auto path = poisonsim::fuzz::write_scratch_file("trace.h5", data, size);
  try {
    poisonsim::read_trace(path);
  } catch (const poisonsim::UserError&) {
  }
  const ssize_t open = H5Fget_obj_count(H5F_OBJ_ALL, H5F_OBJ_ALL);
  if (open != 0) {
    std::fprintf(stderr, "fuzz_trace: %zd HDF5 objects left open after reading\n", open);
    std::abort();
  }
  return 0;
}
