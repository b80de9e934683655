// The IDX reader (MNIST, Fashion-MNIST; raw or gzipped) on an image file and a label file cut
// from one input: its first byte says how many of the remaining bytes form the label file
// (header-sized cuts are likely, so both files get past their magic often).
#include <algorithm>
#include <cstddef>
#include <cstdint>

#include "pipeline/data/idx_reader.h"
#include "sim/util/error.h"
#include "tests/fuzz/fuzz_input_file.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  const size_t rest = size - 1;
  const size_t labels = std::min<size_t>(data[0], rest);
  const auto labels_path = poisonsim::fuzz::write_scratch_file("labels", data + 1, labels);
  const auto images_path =
      poisonsim::fuzz::write_scratch_file("images", data + 1 + labels, rest - labels);
  try {
    poisonsim::read_idx_pair(images_path, labels_path);
  } catch (const poisonsim::UserError&) {
  }
  return 0;
}
