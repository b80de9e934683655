#pragma once
// MNIST-format IDX files (MNIST, Fashion-MNIST), raw or gzipped.
#include <string>
#include <vector>

#include "pipeline/data/dataset.h"

namespace poisonsim {

// Reads an image file (magic 0x00000803, unsigned bytes, N x rows x cols) and its label file
// (magic 0x00000801, N unsigned bytes). Pixels are scaled to [0, 1]. Throws UserError naming the
// file and the problem: wrong magic, truncated, count mismatch, bad dimensions, label out of range.
Dataset read_idx_pair(const std::string& images_path, const std::string& labels_path,
                      int64_t num_classes = 10);

// Reads the four standard files from a directory: train-images-idx3-ubyte, train-labels-idx1-
// ubyte, t10k-images-idx3-ubyte, t10k-labels-idx1-ubyte, each optionally ending in .gz (the
// "train-images.idx3-ubyte" spelling is accepted too).
TrainTestData read_idx_directory(const std::string& directory, int64_t num_classes = 10);

// The four files read_idx_directory reads (training images and labels, then test images and
// labels), as found in `directory`; UserError naming it when one is missing.
std::vector<std::string> idx_directory_files(const std::string& directory);

}  // namespace poisonsim
