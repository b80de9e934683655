#pragma once
// Poison made elsewhere, read from a file for the `replay` attacker and checked against the
// scenario's data: poisonsim's own poison sets (`poisonsim attack -o`), NumPy .npz archives and
// .npy pairs, and HDF5 files with named datasets (docs/scenario.md, "replay").
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "pipeline/data/dataset.h"
#include "pipeline/plugins/attacker.h"
#include "sim/util/enum_names.h"

namespace poisonsim {

enum class ReplayFormat { automatic, hdf5, npz, npy };
const EnumNames<ReplayFormat>& replay_format_names();

struct ReplayFileOptions {
  std::string file;
  ReplayFormat format = ReplayFormat::automatic;
  std::string images = "images";  // array / dataset names (npz, hdf5)
  std::string labels = "labels";
  // The clean label each sample was made from (the trace's true_label). Unset: a poisonsim
  // poison set's seed_labels, else the labels the poison carries.
  std::optional<std::string> true_labels;
  std::string labels_file;  // npy: the labels' own .npy file (`file` holds the images)
};

struct ReplaySet {
  Dataset poison;                    // pixels in [0, 1], labels in the data set's classes
  std::vector<int64_t> true_labels;  // one per sample
  uint64_t digest = 0;               // of pixels and labels: resume checks the file is the same
};

// Reads and checks the whole file. Each problem is a UserError(where, problem) with `where` the
// file and the array (`poison.npz: images`): a missing or unreadable file, an image shape other
// than the scenario's (N x C x H x W, also N x H x W for one channel and N x H x W x C), an
// element type other than float32 / float64 (pixels in [0, 1]) or uint8 (0-255, divided by
// 255), a pixel outside that range, labels that are not integers of the data set's classes or
// not one per image, and an empty file.
ReplaySet load_replay_file(const ReplayFileOptions& options, const PoisonShape& data);

// load_replay_file, except that the set last read is kept and given out again while the same
// options and shape ask for files of the same size, modification time and inode: a sweep plans
// (parses) every run's scenario, and would otherwise read and check the file once per run.
std::shared_ptr<const ReplaySet> shared_replay_file(const ReplayFileOptions& options,
                                                    const PoisonShape& data);

}  // namespace poisonsim
