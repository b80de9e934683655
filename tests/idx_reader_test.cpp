#include "pipeline/data/idx_reader.h"

#include <gtest/gtest.h>

#include "sim/util/error.h"
#include "tests/test_support.h"

namespace poisonsim {
namespace {

using test::idx_images;
using test::idx_labels;
using test::ScratchDir;

using test::expect_user_error;

struct IdxFiles : ::testing::Test {
  ScratchDir dir;
  std::string images = dir.file("images");
  std::string labels = dir.file("labels");
};

TEST_F(IdxFiles, ReadsRawFilesAndScalesPixels) {
  test::write_bytes(images, idx_images(5, 4, 3));
  test::write_bytes(labels, idx_labels(5));
  const auto data = read_idx_pair(images, labels);
  EXPECT_EQ(data.size(), 5u);
  EXPECT_EQ(data.shape, (ImageShape{1, 4, 3}));
  EXPECT_EQ(data.labels[3], 3);
  EXPECT_FLOAT_EQ(data.pixels[1], 7.0f / 255.0f);
  EXPECT_NO_THROW(data.check_consistent());
}

TEST_F(IdxFiles, ReadsGzippedFilesTheSame) {
  test::write_bytes(images, idx_images(5, 4, 3));
  test::write_bytes(labels, idx_labels(5));
  test::write_gzip(images + ".gz", idx_images(5, 4, 3));
  test::write_gzip(labels + ".gz", idx_labels(5));
  const auto raw = read_idx_pair(images, labels);
  const auto gz = read_idx_pair(images + ".gz", labels + ".gz");
  EXPECT_EQ(raw.pixels, gz.pixels);
  EXPECT_EQ(raw.labels, gz.labels);
}

TEST_F(IdxFiles, RejectsWrongMagic) {
  test::write_bytes(images, idx_labels(5));  // a label file where images are expected
  test::write_bytes(labels, idx_labels(5));
  expect_user_error([&] { read_idx_pair(images, labels); }, images, "wrong magic number");
}

TEST_F(IdxFiles, RejectsTruncatedPixels) {
  auto bytes = idx_images(5, 4, 3);
  bytes.resize(bytes.size() - 10);
  test::write_bytes(images, bytes);
  test::write_bytes(labels, idx_labels(5));
  expect_user_error([&] { read_idx_pair(images, labels); }, images, "truncated");
}

TEST_F(IdxFiles, RejectsTruncatedHeader) {
  test::write_bytes(images, {0, 0, 8, 3, 0, 0});
  test::write_bytes(labels, idx_labels(5));
  expect_user_error([&] { read_idx_pair(images, labels); }, images, "truncated");
}

TEST_F(IdxFiles, RejectsTrailingBytes) {
  auto bytes = idx_images(5, 4, 3);
  bytes.push_back(1);
  test::write_bytes(images, bytes);
  test::write_bytes(labels, idx_labels(5));
  expect_user_error([&] { read_idx_pair(images, labels); }, images, "unexpected bytes");
}

TEST_F(IdxFiles, RejectsCountMismatch) {
  test::write_bytes(images, idx_images(5, 4, 3));
  test::write_bytes(labels, idx_labels(4));
  expect_user_error([&] { read_idx_pair(images, labels); }, labels, "holds 4 labels");
}

TEST_F(IdxFiles, RejectsBadDimensions) {
  test::write_bytes(images, idx_images(5, 0, 3));
  test::write_bytes(labels, idx_labels(5));
  expect_user_error([&] { read_idx_pair(images, labels); }, images, "bad image dimensions");
  test::write_bytes(images, idx_images(0, 4, 3));
  expect_user_error([&] { read_idx_pair(images, labels); }, images, "no images");
}

TEST_F(IdxFiles, RejectsEmptyMissingAndDirectory) {
  test::write_bytes(images, {});
  test::write_bytes(labels, idx_labels(5));
  expect_user_error([&] { read_idx_pair(images, labels); }, images, "empty file");
  expect_user_error([&] { read_idx_pair(dir.file("nope"), labels); }, "nope", "no such file");
  expect_user_error([&] { read_idx_pair(dir.path(), labels); }, dir.path(), "is a directory");
}

TEST_F(IdxFiles, RejectsCorruptGzip) {
  test::write_gzip(images, idx_images(50, 4, 3));
  auto bytes = test::read_text(images);
  bytes.resize(bytes.size() / 2);  // cut the compressed stream in the middle
  test::write_text(images, bytes);
  test::write_bytes(labels, idx_labels(50));
  EXPECT_THROW(read_idx_pair(images, labels), UserError);
}

TEST_F(IdxFiles, RejectsLabelOutOfRange) {
  auto bytes = idx_labels(5);
  bytes.back() = 12;
  test::write_bytes(images, idx_images(5, 4, 3));
  test::write_bytes(labels, bytes);
  expect_user_error([&] { read_idx_pair(images, labels); }, labels, "label 12 of sample 4");
}

TEST(IdxDirectory, ReadsTheFourFilesRawOrGzipped) {
  for (bool gzip : {false, true}) {
    ScratchDir dir;
    test::write_idx_directory(dir.path(), 30, 10, gzip);
    const auto data = read_idx_directory(dir.path());
    EXPECT_EQ(data.train.size(), 30u);
    EXPECT_EQ(data.test.size(), 10u);
  }
}

TEST(IdxDirectory, NamesTheMissingFile) {
  ScratchDir dir;
  test::write_idx_directory(dir.path(), 30, 10, true);
  std::remove(dir.file("t10k-labels-idx1-ubyte.gz").c_str());
  expect_user_error([&] { read_idx_directory(dir.path()); }, dir.path(),
                    "missing t10k-labels-idx1-ubyte");
}

}  // namespace
}  // namespace poisonsim
