#include "pipeline/data/cifar10_reader.h"

#include <filesystem>

#include <fmt/format.h>

#include "pipeline/data/file_bytes.h"
#include "sim/util/error.h"

namespace poisonsim {
namespace {

constexpr size_t kPixels = 3 * 32 * 32;
constexpr size_t kRecord = 1 + kPixels;

void append_file(const std::string& path, Dataset& data) {
  const auto bytes = read_file_bytes(path);
  if (bytes.empty())
    throw UserError(path, "empty file, expected CIFAR-10 binary records (1 label + 3072 pixels)");
  if (bytes.size() % kRecord != 0)
    throw UserError(path, fmt::format("{} bytes is not a whole number of {}-byte CIFAR-10 records "
                                      "(truncated, or not a CIFAR-10 binary file)",
                                      bytes.size(), kRecord));
  const size_t records = bytes.size() / kRecord;
  const size_t first = data.size();
  data.labels.resize(first + records);
  data.pixels.resize((first + records) * kPixels);
  for (size_t r = 0; r < records; ++r) {
    const uint8_t* record = bytes.data() + r * kRecord;
    if (record[0] >= 10)
      throw UserError(path, fmt::format("label {} of record {} is outside [0, 10)", record[0], r));
    data.labels[first + r] = record[0];
    float* out = data.image(first + r);
    for (size_t i = 0; i < kPixels; ++i) out[i] = static_cast<float>(record[1 + i]) / 255.0f;
  }
}

}  // namespace

Dataset read_cifar10_files(const std::vector<std::string>& paths) {
  Dataset data;
  data.name = paths.empty() ? "cifar10" : paths.front();
  data.shape = {3, 32, 32};
  data.num_classes = 10;
  for (const auto& path : paths) append_file(path, data);
  return data;
}

std::vector<std::string> cifar10_directory_files(const std::string& directory) {
  std::error_code ec;
  if (!std::filesystem::is_directory(directory, ec))
    throw UserError(directory,
                    "not a directory, expected cifar-10-batches-bin/ with "
                    "data_batch_1.bin .. data_batch_5.bin and test_batch.bin");
  auto require = [&](const std::string& name) {
    const auto found = find_first_existing(directory, {name, name + ".gz"});
    if (found.empty())
      throw UserError(directory, fmt::format("missing {}: expected the CIFAR-10 binary files "
                                             "data_batch_1.bin .. data_batch_5.bin and "
                                             "test_batch.bin",
                                             name));
    return found;
  };
  std::vector<std::string> files;
  for (int i = 1; i <= 5; ++i) files.push_back(require(fmt::format("data_batch_{}.bin", i)));
  files.push_back(require("test_batch.bin"));
  return files;
}

TrainTestData read_cifar10_directory(const std::string& directory) {
  auto train_files = cifar10_directory_files(directory);
  const std::string test_file = train_files.back();
  train_files.pop_back();
  TrainTestData out;
  out.train = read_cifar10_files(train_files);
  out.test = read_cifar10_files({test_file});
  return out;
}

}  // namespace poisonsim
