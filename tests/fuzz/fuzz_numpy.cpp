// The NumPy readers of the replay attacker: the first byte chooses a .npy parsed from memory
// (even) or an .npz archive opened with libzip and every array in it read (odd); the rest is the
// file. Every element of what parses is read back, as the replay checks do.
#include <cstddef>
#include <cstdint>
#include <vector>

#include "pipeline/data/npz_archive.h"
#include "pipeline/data/numeric_array.h"
#include "sim/util/error.h"
#include "tests/fuzz/fuzz_input_file.h"

namespace {

double sum(const poisonsim::NumericArray& array) {
  double total = 0;
  for (int64_t i = 0; i < array.count(); ++i) total += array.value(static_cast<size_t>(i));
  return total;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  try {
    if (data[0] % 2 == 0) {
      const std::vector<uint8_t> bytes(data + 1, data + size);
      volatile double total = sum(poisonsim::parse_npy(bytes, "fuzz.npy"));
      (void)total;
    } else {
      const auto path = poisonsim::fuzz::write_scratch_file("fuzz.npz", data + 1, size - 1);
      const poisonsim::NpzArchive archive(path);
      for (const auto& name : archive.names()) {
        volatile double total = sum(archive.read(name));
        (void)total;
      }
    }
  } catch (const poisonsim::UserError&) {
  }
  return 0;
}
