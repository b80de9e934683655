// The checkpoint reader (HDF5) on arbitrary bytes: a file that is not an intact poisonsim
// checkpoint must end in a UserError, never a crash, hang or runaway allocation, as
// `poisonsim resume` reads it (its digests are checked before anything is restored).
//
// As for fuzz_trace, leak detection is off (tools/scripts/fuzz.sh): HDF5 1.10.8 loses small
// allocations on some error paths below any handle poisonsim holds; an identifier poisonsim
// leaves open is checked here after every input instead.
#include <hdf5.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>

#include "pipeline/trace/checkpoint_file.h"
#include "sim/util/error.h"
#include "tests/fuzz/fuzz_input_file.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const auto path = poisonsim::fuzz::write_scratch_file("checkpoint.h5", data, size);
  try {
    poisonsim::read_checkpoint_file(path);
  } catch (const poisonsim::UserError&) {
  }
  const ssize_t open = H5Fget_obj_count(H5F_OBJ_ALL, H5F_OBJ_ALL);
  if (open != 0) {
    std::fprintf(stderr, "fuzz_checkpoint: %zd HDF5 objects left open after reading\n", open);
    std::abort();
  }
  return 0;
}
