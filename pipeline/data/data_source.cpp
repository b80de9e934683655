#include "pipeline/data/data_source.h"

#include <filesystem>

#include <fmt/format.h>

#include "pipeline/data/cifar10_reader.h"
#include "pipeline/data/idx_reader.h"
#include "sim/util/error.h"

namespace poisonsim {

const EnumNames<DataKind>& data_kind_names() {
  static const EnumNames<DataKind> names("data set kind",
                                         {{DataKind::fashion_mnist, "fashion-mnist"},
                                          {DataKind::mnist, "mnist"},
                                          {DataKind::cifar10, "cifar10"},
                                          {DataKind::synthetic, "synthetic"}});
  return names;
}

DataKind parse_data_kind(const std::string& text, const std::string& where) {
  return data_kind_names().parse(text, where);
}

std::string to_string(DataKind value) { return data_kind_names().name(value); }

std::string default_data_path(DataKind kind) {
  return kind == DataKind::fashion_mnist ? "/usr/share/datasets/fashion-mnist" : "";
}

namespace {

// The data set's directory; UserError when it has none or the default one is not installed.
std::string data_directory(const DataSpec& spec) {
  const std::string path = spec.path.empty() ? default_data_path(spec.kind) : spec.path;
  if (path.empty())
    throw UserError("data.path", fmt::format("the {} data set has no default location: give the "
                                             "directory holding its files",
                                             to_string(spec.kind)));
  if (spec.kind == DataKind::fashion_mnist && spec.path.empty() && !std::filesystem::exists(path))
    throw UserError(path,
                    "Fashion-MNIST is not installed here: install Debian's "
                    "dataset-fashion-mnist package (tools/scripts/setup.sh does) or set data.path");
  return path;
}

}  // namespace

TrainTestData load_data(const DataSpec& spec) {
  if (spec.kind == DataKind::synthetic) return make_synthetic(spec.synthetic);
  const std::string path = data_directory(spec);
  if (spec.kind == DataKind::cifar10) return read_cifar10_directory(path);
  return read_idx_directory(path);
}

std::vector<std::string> data_files(const DataSpec& spec) {
  if (spec.kind == DataKind::synthetic) return {};
  const std::string path = data_directory(spec);
  return spec.kind == DataKind::cifar10 ? cifar10_directory_files(path) : idx_directory_files(path);
}

}  // namespace poisonsim
