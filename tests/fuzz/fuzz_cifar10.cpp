// The CIFAR-10 binary reader (label byte + 3072 pixel bytes per record) on one batch file.
#include <cstddef>
#include <cstdint>

#include "pipeline/data/cifar10_reader.h"
#include "sim/util/error.h"
#include "tests/fuzz/fuzz_input_file.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const auto path = poisonsim::fuzz::write_scratch_file("data_batch_1.bin", data, size);
  try {
    poisonsim::read_cifar10_files({path});
  } catch (const poisonsim::UserError&) {
  }
  return 0;
}
