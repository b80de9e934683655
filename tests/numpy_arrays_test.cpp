// The .npy parser (pipeline/data/numeric_array.h) on headers NumPy writes: both byte orders, the
// format versions, the element types the replay attacker accepts, and what it refuses.
#include <cstring>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "pipeline/data/numeric_array.h"
#include "tests/test_support.h"

namespace poisonsim {
namespace {

// An .npy file as np.save writes it: magic, version, header length, the header padded with
// spaces to a multiple of 64 bytes and ended by a newline, then the data.
std::vector<uint8_t> npy(const std::string& dict, const std::vector<uint8_t>& data,
                         int version = 1) {
  const size_t prefix = version == 1 ? 10 : 12;
  std::string header = dict;
  while ((prefix + header.size() + 1) % 64 != 0) header += ' ';
  header += '\n';
  std::vector<uint8_t> out{0x93, 'N', 'U', 'M', 'P', 'Y', static_cast<uint8_t>(version), 0};
  const auto length = static_cast<uint32_t>(header.size());
  for (size_t i = 0; i < (version == 1 ? 2u : 4u); ++i)
    out.push_back(static_cast<uint8_t>(length >> (8 * i)));
  out.insert(out.end(), header.begin(), header.end());
  out.insert(out.end(), data.begin(), data.end());
  return out;
}

std::vector<uint8_t> bytes_of(const std::vector<float>& values) {
  std::vector<uint8_t> out(values.size() * sizeof(float));
  std::memcpy(out.data(), values.data(), out.size());
  return out;
}

TEST(NumpyArrays, ReadsWhatNumpyWritesInEitherByteOrderAndVersion) {
  const auto f32 = parse_npy(npy("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }",
                                 bytes_of({0, 0.25f, 0.5f, 0.75f, 1, 0.125f})),
                             "a.npy");
  EXPECT_EQ(f32.type, ElementType::f32);
  EXPECT_EQ(f32.shape, (std::vector<int64_t>{2, 3}));
  EXPECT_EQ(f32.shape_text(), "(2, 3)");
  EXPECT_EQ(f32.value(3), 0.75);

  // int32 258 and -2, big-endian, in a version 2 header.
  const auto big = parse_npy(npy("{'descr': '>i4', 'fortran_order': False, 'shape': (2,), }",
                                 {0, 0, 1, 2, 0xff, 0xff, 0xff, 0xfe}, 2),
                             "b.npy");
  EXPECT_EQ(big.type, ElementType::i32);
  EXPECT_EQ(big.shape_text(), "(2,)");
  EXPECT_EQ(big.value(0), 258);
  EXPECT_EQ(big.value(1), -2);

  const auto bytes = parse_npy(
      npy("{'descr': '|u1', 'fortran_order': False, 'shape': (1, 2, 2), }", {0, 1, 254, 255}),
      "c.npy");
  EXPECT_EQ(bytes.type, ElementType::u8);
  EXPECT_EQ(bytes.value(3), 255);
}

TEST(NumpyArrays, RefusesWhatItCannotReadAsIs) {
  const std::vector<uint8_t> four(4, 0);
  test::expect_user_error(
      [&] {
        parse_npy(npy("{'descr': '<f4', 'fortran_order': True, 'shape': (2, 2), }",
                      std::vector<uint8_t>(16, 0)),
                  "f.npy");
      },
      "f.npy", "Fortran-order");
  test::expect_user_error(
      [&] {
        parse_npy(npy("{'descr': '<c8', 'fortran_order': False, 'shape': (1,), }",
                      std::vector<uint8_t>(8, 0)),
                  "c.npy");
      },
      "c.npy", "element type '<c8' is not supported");
  test::expect_user_error(
      [&] {
        parse_npy(npy("{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }", four), "t.npy");
      },
      "t.npy", "holds 4 bytes of data, its header's shape (2,) and type float32 need 8");
  test::expect_user_error(
      [&] {
        parse_npy(npy("{'descr': '<f4', 'fortran_order': False, 'shape': (1073741824, 8), }", four),
                  "h.npy");
      },
      "h.npy", "larger than 4294967296 bytes");
  test::expect_user_error(
      [&] {
        parse_npy({'P', 'K', 3, 4, 0, 0, 0, 0, 0, 0, 0}, "z.npy");
      },
      "z.npy", "not a NumPy array file");
}

}  // namespace
}  // namespace poisonsim
