#pragma once
// CIFAR-10 "binary version" files: records of 1 label byte + 3072 pixel bytes (32x32, R then G
// then B planes), as in cifar-10-batches-bin/.
#include <string>
#include <vector>

#include "pipeline/data/dataset.h"
namespace poisonsim {

// Reads and concatenates the given batch files. Throws UserError naming the file when it is
// empty, not a whole number of records, or holds a label outside [0, 10).
Dataset read_cifar10_files(const std::vector<std::string>& paths);

// Reads data_batch_1.bin .. data_batch_5.bin (training) and test_batch.bin (test) from a
// directory; a missing file is named in the error.
TrainTestData read_cifar10_directory(const std::string& directory);

// The six files read_cifar10_directory reads (the five training batches, then the test batch),
// as found in `directory`; UserError naming it when one is missing.
std::vector<std::string> cifar10_directory_files(const std::string& directory);

}  // namespace poisonsim
