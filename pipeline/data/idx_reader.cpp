#include "pipeline/data/idx_reader.h"

#include <filesystem>

#include <fmt/format.h>

#include "pipeline/data/file_bytes.h"
#include "sim/util/error.h"

namespace poisonsim {
namespace {

constexpr uint32_t kImagesMagic = 0x00000803;
constexpr uint32_t kLabelsMagic = 0x00000801;
constexpr uint32_t kMaxSide = 4096;

uint32_t read_be32(const std::vector<uint8_t>& b, size_t offset) {
  return (uint32_t{b[offset]} << 24) | (uint32_t{b[offset + 1]} << 16) |
         (uint32_t{b[offset + 2]} << 8) | uint32_t{b[offset + 3]};
}

// Checks the header and returns the dimensions; the payload starts after them.
std::vector<uint32_t> read_header(const std::vector<uint8_t>& bytes, const std::string& path,
                                  uint32_t expected_magic, const char* what) {
  if (bytes.empty()) throw UserError(path, fmt::format("empty file, expected IDX {}", what));
  if (bytes.size() < 4)
    throw UserError(path,
                    fmt::format("truncated: {} bytes, too short for an IDX header", bytes.size()));
  const uint32_t magic = read_be32(bytes, 0);
  if (magic != expected_magic)
    throw UserError(path, fmt::format("wrong magic number 0x{:08x}, expected 0x{:08x} (IDX {})",
                                      magic, expected_magic, what));
  const size_t dims = magic & 0xff;
  if (bytes.size() < 4 + 4 * dims)
    throw UserError(path, "truncated: the header ends before its dimensions");
  std::vector<uint32_t> shape(dims);
  for (size_t d = 0; d < dims; ++d) shape[d] = read_be32(bytes, 4 + 4 * d);
  return shape;
}

void check_payload(const std::vector<uint8_t>& bytes, const std::string& path, size_t header,
                   uint64_t expected) {
  const uint64_t actual = bytes.size() - header;
  if (actual < expected)
    throw UserError(path, fmt::format("truncated: the header promises {} data bytes, found {}",
                                      expected, actual));
  if (actual > expected)
    throw UserError(path, fmt::format("{} unexpected bytes after the {} data bytes the header "
                                      "promises",
                                      actual - expected, expected));
}

}  // namespace

Dataset read_idx_pair(const std::string& images_path, const std::string& labels_path,
                      int64_t num_classes) {
  const auto image_bytes = read_file_bytes(images_path);
  const auto image_dims =
      read_header(image_bytes, images_path, kImagesMagic, "unsigned-byte images");
  const uint32_t count = image_dims[0];
  const uint32_t rows = image_dims[1];
  const uint32_t cols = image_dims[2];
  if (count == 0) throw UserError(images_path, "holds no images (count 0)");
  if (rows == 0 || cols == 0 || rows > kMaxSide || cols > kMaxSide)
    throw UserError(images_path, fmt::format("bad image dimensions {}x{}, expected 1 to {} pixels "
                                             "per side",
                                             rows, cols, kMaxSide));
  const size_t image_header = 16;
  check_payload(image_bytes, images_path, image_header, uint64_t{count} * rows * cols);

  const auto label_bytes = read_file_bytes(labels_path);
  const auto label_dims =
      read_header(label_bytes, labels_path, kLabelsMagic, "unsigned-byte labels");
  if (label_dims[0] != count)
    throw UserError(labels_path, fmt::format("holds {} labels but {} holds {} images",
                                             label_dims[0], images_path, count));
  const size_t label_header = 8;
  check_payload(label_bytes, labels_path, label_header, count);

  Dataset data;
  data.name = images_path;
  data.shape = {1, rows, cols};
  data.num_classes = num_classes;
  data.pixels.resize(image_bytes.size() - image_header);
  for (size_t i = 0; i < data.pixels.size(); ++i)
    data.pixels[i] = static_cast<float>(image_bytes[image_header + i]) / 255.0f;
  data.labels.resize(count);
  for (uint32_t i = 0; i < count; ++i) {
    const int64_t label = label_bytes[label_header + i];
    if (label >= num_classes)
      throw UserError(labels_path, fmt::format("label {} of sample {} is outside [0, {})", label, i,
                                               num_classes));
    data.labels[i] = label;
  }
  return data;
}

std::vector<std::string> idx_directory_files(const std::string& directory) {
  std::error_code ec;
  if (!std::filesystem::is_directory(directory, ec))
    throw UserError(directory,
                    "not a directory, expected one holding the four MNIST-format IDX "
                    "files (train-images-idx3-ubyte[.gz], ...)");
  auto find = [&](const std::string& stem, const std::string& kind) {
    const std::string dashed = stem + "-" + kind;
    const std::string dotted = stem + "." + kind;
    const auto found =
        find_first_existing(directory, {dashed + ".gz", dashed, dotted + ".gz", dotted});
    if (found.empty())
      throw UserError(directory, fmt::format("missing {0}.gz (or {0}): expected the four "
                                             "MNIST-format IDX files train-images-idx3-ubyte, "
                                             "train-labels-idx1-ubyte, t10k-images-idx3-ubyte, "
                                             "t10k-labels-idx1-ubyte",
                                             dashed));
    return found;
  };
  return {find("train-images", "idx3-ubyte"), find("train-labels", "idx1-ubyte"),
          find("t10k-images", "idx3-ubyte"), find("t10k-labels", "idx1-ubyte")};
}

TrainTestData read_idx_directory(const std::string& directory, int64_t num_classes) {
  const auto files = idx_directory_files(directory);
  TrainTestData out;
  out.train = read_idx_pair(files[0], files[1], num_classes);
  out.test = read_idx_pair(files[2], files[3], num_classes);
  if (out.train.shape != out.test.shape)
    throw UserError(directory, fmt::format("training images are {} but test images are {}",
                                           out.train.shape.str(), out.test.shape.str()));
  return out;
}

}  // namespace poisonsim
