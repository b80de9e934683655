#pragma once
// Which data set a run uses and where its files are.
#include <cstdint>
#include <string>
#include <vector>

#include "pipeline/data/dataset.h"
#include "pipeline/data/synthetic.h"
#include "sim/util/enum_names.h"

namespace poisonsim {

enum class DataKind { fashion_mnist, mnist, cifar10, synthetic };

struct DataSpec {
  DataKind kind = DataKind::fashion_mnist;
  std::string path;         // empty: the kind's default location (see default_data_path)
  SyntheticSpec synthetic;  // used when kind == synthetic
};

// "fashion-mnist", "mnist", "cifar10", "synthetic"; throws UserError naming `where` otherwise.
const EnumNames<DataKind>& data_kind_names();  // the names scenarios use
DataKind parse_data_kind(const std::string& text, const std::string& where);
std::string to_string(DataKind kind);
// Fashion-MNIST: /usr/share/datasets/fashion-mnist (Debian's dataset-fashion-mnist). The others
// have no default; the user names their directory.
std::string default_data_path(DataKind kind);

// Loads the training and test parts. Errors name the file or directory and what was expected.
TrainTestData load_data(const DataSpec& spec);

// The files load_data reads, in its order (none for synthetic data); the same UserErrors.
std::vector<std::string> data_files(const DataSpec& spec);

}  // namespace poisonsim
