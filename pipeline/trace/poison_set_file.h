#pragma once
// A generated poison set on disk (`poisonsim attack -o`): the poisoned images and labels, their
// seed images and labels, and the attack's figures as JSON text. HDF5, so h5py opens it:
//   f = h5py.File("poison.h5"); f["images"][:], f["labels"][:], json.loads(f.attrs["figures"])
#include <cstdint>
#include <string>
#include <vector>

#include "pipeline/data/dataset.h"

namespace poisonsim {

// The root attribute `format` of a poison set: how a reader tells one from other HDF5 files.
inline constexpr const char* kPoisonSetFormat = "poisonsim-poison-set-1";

struct PoisonSetFile {
  std::string method;
  Dataset poison;            // images in [0, 1] and the labels the poison carries
  Dataset seeds;             // the clean seed of each poisoned sample, same order
  std::string figures_json;  // timing and effect figures (see `poisonsim attack --help`)
};

// Writes (truncating) `path`. Throws UserError naming the file when it cannot be written.
void write_poison_set(const std::string& path, const PoisonSetFile& set);
// Throws UserError naming the file when it is not a poison set of this format.
PoisonSetFile read_poison_set(const std::string& path);

}  // namespace poisonsim
