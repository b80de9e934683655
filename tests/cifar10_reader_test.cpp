#include "pipeline/data/cifar10_reader.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "tests/test_support.h"

namespace poisonsim {
namespace {

using test::expect_user_error;

std::vector<uint8_t> cifar_records(int count) {
  std::vector<uint8_t> out;
  for (int r = 0; r < count; ++r) {
    out.push_back(static_cast<uint8_t>(r % 10));
    for (int i = 0; i < 3072; ++i) out.push_back(static_cast<uint8_t>((r + i) % 256));
  }
  return out;
}

TEST(Cifar10Reader, ReadsRecordsAsChwImages) {
  test::ScratchDir dir;
  test::write_bytes(dir.file("a.bin"), cifar_records(3));
  test::write_bytes(dir.file("b.bin"), cifar_records(2));
  const auto data = read_cifar10_files({dir.file("a.bin"), dir.file("b.bin")});
  EXPECT_EQ(data.size(), 5u);
  EXPECT_EQ(data.shape, (ImageShape{3, 32, 32}));
  EXPECT_EQ(data.labels[2], 2);
  EXPECT_EQ(data.labels[4], 1);
  EXPECT_FLOAT_EQ(data.image(1)[5], 6.0f / 255.0f);
}

TEST(Cifar10Reader, RejectsTruncatedEmptyAndBadLabels) {
  test::ScratchDir dir;
  auto bytes = cifar_records(2);
  bytes.pop_back();
  test::write_bytes(dir.file("t.bin"), bytes);
  expect_user_error([&] { read_cifar10_files({dir.file("t.bin")}); }, "t.bin",
                    "not a whole number");
  test::write_bytes(dir.file("e.bin"), {});
  expect_user_error([&] { read_cifar10_files({dir.file("e.bin")}); }, "e.bin", "empty file");
  bytes = cifar_records(2);
  bytes[3073] = 10;
  test::write_bytes(dir.file("l.bin"), bytes);
  expect_user_error([&] { read_cifar10_files({dir.file("l.bin")}); }, "l.bin",
                    "label 10 of record 1");
}

TEST(Cifar10Reader, DirectoryNamesTheMissingFile) {
  test::ScratchDir dir;
  for (int i = 1; i <= 5; ++i)
    test::write_bytes(dir.file(fmt::format("data_batch_{}.bin", i)), cifar_records(2));
  expect_user_error([&] { read_cifar10_directory(dir.path()); }, dir.path(),
                    "missing test_batch.bin");
  test::write_bytes(dir.file("test_batch.bin"), cifar_records(3));
  const auto data = read_cifar10_directory(dir.path());
  EXPECT_EQ(data.train.size(), 10u);
  EXPECT_EQ(data.test.size(), 3u);
}

}  // namespace
}  // namespace poisonsim
