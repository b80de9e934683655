#include "attackers/replay/replay_file.h"

#include <sys/stat.h>

#include <mutex>
#include <optional>

#include <fmt/format.h>

#include "pipeline/data/file_bytes.h"
#include "pipeline/data/npz_archive.h"
#include "pipeline/trace/hdf5_arrays.h"
#include "pipeline/trace/poison_set_file.h"
#include "sim/util/error.h"
#include "sim/util/text.h"

namespace poisonsim {
namespace {

// An array and how messages name it: "poison.npz: images".
struct Named {
  NumericArray array;
  std::string where;
};

struct FileArrays {
  Named images;
  Named labels;
  std::optional<Named> true_labels;
};

ReplayFormat resolve(const ReplayFileOptions& o) {
  if (o.format != ReplayFormat::automatic) return o.format;
  if (ends_with(o.file, ".npz")) return ReplayFormat::npz;
  if (ends_with(o.file, ".npy")) return ReplayFormat::npy;
  return ReplayFormat::hdf5;
}

std::string in(const std::string& file, const std::string& name) {
  return fmt::format("{}: {}", file, name);
}

FileArrays read_arrays(const ReplayFileOptions& o) {
  FileArrays out;
  const ReplayFormat format = resolve(o);
  if (format != ReplayFormat::npy && !o.labels_file.empty())
    throw UserError(o.file, fmt::format("labels_file is for a .npy pair (format npy); this file "
                                        "is read as {}, whose labels array is `labels`",
                                        replay_format_names().name(format)));
  switch (format) {
    case ReplayFormat::npz: {
      const NpzArchive archive(o.file);
      out.images = {archive.read(o.images), in(o.file, o.images)};
      out.labels = {archive.read(o.labels), in(o.file, o.labels)};
      if (o.true_labels)
        out.true_labels = Named{archive.read(*o.true_labels), in(o.file, *o.true_labels)};
      break;
    }
    case ReplayFormat::npy: {
      if (o.labels_file.empty())
        throw UserError(o.file,
                        "a .npy file holds one array: name the labels' .npy as "
                        "labels_file (or give an .npz with both)");
      if (o.true_labels)
        throw UserError(o.file,
                        "true_labels names an array of an .npz or HDF5 file; a .npy "
                        "pair has none");
      constexpr uint64_t kHeader = 1 << 20;
      out.images = {parse_npy(read_file_bytes(o.file, kMaxArrayBytes + kHeader), o.file), o.file};
      out.labels = {
          parse_npy(read_file_bytes(o.labels_file, kMaxArrayBytes + kHeader), o.labels_file),
          o.labels_file};
      break;
    }
    default: {
      const Hdf5Arrays file(o.file);
      out.images = {file.read(o.images), in(o.file, o.images)};
      out.labels = {file.read(o.labels), in(o.file, o.labels)};
      const bool poison_set = file.root_attribute("format") == std::string(kPoisonSetFormat);
      if (o.true_labels)
        out.true_labels = Named{file.read(*o.true_labels), in(o.file, *o.true_labels)};
      else if (poison_set && file.has("seed_labels"))
        out.true_labels = Named{file.read("seed_labels"), in(o.file, "seed_labels")};
      break;
    }
  }
  return out;
}

Dataset to_images(const Named& named, const PoisonShape& data) {
  const auto& a = named.array;
  const auto& s = a.shape;
  const ImageShape& want = data.image;
  const bool nchw =
      s.size() == 4 && s[1] == want.channels && s[2] == want.height && s[3] == want.width;
  const bool nhw = s.size() == 3 && want.channels == 1 && s[1] == want.height && s[2] == want.width;
  const bool nhwc =
      !nchw && s.size() == 4 && s[1] == want.height && s[2] == want.width && s[3] == want.channels;
  if (!nchw && !nhw && !nhwc)
    throw UserError(
        named.where,
        fmt::format("shape {} does not fit the scenario's {} images: expected (N, "
                    "{}, {}, {}){}, or (N, {}, {}, {}) channels last",
                    a.shape_text(), want.str(), want.channels, want.height, want.width,
                    want.channels == 1 ? fmt::format(", (N, {}, {})", want.height, want.width) : "",
                    want.height, want.width, want.channels));
  if (s[0] == 0) throw UserError(named.where, "holds no samples: a replay needs at least one");
  const bool bytes = a.type == ElementType::u8;
  if (is_integer(a.type) && !bytes)
    throw UserError(named.where,
                    fmt::format("element type {}: expected float32 or float64 (pixels in [0, "
                                "1]) or uint8 (0-255, divided by 255)",
                                element_type_name(a.type)));
  Dataset out;
  out.name = named.where;
  out.shape = want;
  out.num_classes = data.num_classes;
  const auto per = static_cast<size_t>(want.numel());
  out.pixels.resize(static_cast<size_t>(s[0]) * per);
  for (size_t n = 0; n < static_cast<size_t>(s[0]); ++n) {
    for (size_t p = 0; p < per; ++p) {
      // p counts in CHW order; channels-last files hold the same pixel at (h, w, c).
      size_t from = n * per + p;
      if (nhwc) {
        const auto plane = static_cast<size_t>(want.height * want.width);
        const size_t c = p / plane, hw = p % plane;
        from = n * per + hw * static_cast<size_t>(want.channels) + c;
      }
      const double v = a.value(from);
      if (bytes) {
        out.pixels[n * per + p] = static_cast<float>(v) / 255.0f;  // as the IDX reader scales
        continue;
      }
      if (!(v >= 0 && v <= 1))
        throw UserError(named.where,
                        fmt::format("pixel value {} of sample {} is outside [0, 1] (float "
                                    "pixels are intensities in [0, 1], as the data sets hold "
                                    "them; uint8 files hold 0-255)",
                                    v, n));
      out.pixels[n * per + p] = static_cast<float>(v);
    }
  }
  return out;
}

std::vector<int64_t> to_labels(const Named& named, int64_t count, int64_t classes) {
  const auto& a = named.array;
  const bool column = a.shape.size() == 2 && a.shape[1] == 1;
  if ((a.shape.size() != 1 && !column) || a.shape[0] != count)
    throw UserError(named.where, fmt::format("shape {}: expected one label per image, ({},)",
                                             a.shape_text(), count));
  if (!is_integer(a.type))
    throw UserError(named.where, fmt::format("element type {}: labels must be integers",
                                             element_type_name(a.type)));
  std::vector<int64_t> labels(static_cast<size_t>(count));
  for (size_t i = 0; i < labels.size(); ++i) {
    const double v = a.value(i);
    if (!(v >= 0 && v < static_cast<double>(classes)))
      throw UserError(named.where,
                      fmt::format("label {} of sample {} is not a class of the data set (0 to "
                                  "{})",
                                  v, i, classes - 1));
    labels[i] = static_cast<int64_t>(v);
  }
  return labels;
}

// FNV-1a: enough to notice that a file changed between a checkpoint and its resume.
uint64_t fnv1a(uint64_t hash, const void* data, size_t size) {
  const auto* p = static_cast<const unsigned char*>(data);
  for (size_t i = 0; i < size; ++i) hash = (hash ^ p[i]) * 0x100000001b3ULL;
  return hash;
}

// What identifies a file's content cheaply: size, modification time (ns) and inode; empty for
// a path that cannot be stat'ed (the load reports why).
std::string file_identity(const std::string& path) {
  struct stat st {};
  if (path.empty() || ::stat(path.c_str(), &st) != 0) return "";
  return fmt::format("{}:{}:{}.{}:{}", path, st.st_size, st.st_mtim.tv_sec, st.st_mtim.tv_nsec,
                     st.st_ino);
}

}  // namespace

const EnumNames<ReplayFormat>& replay_format_names() {
  static const EnumNames<ReplayFormat> names("replay file format",
                                             {{ReplayFormat::automatic, "auto"},
                                              {ReplayFormat::hdf5, "hdf5"},
                                              {ReplayFormat::npz, "npz"},
                                              {ReplayFormat::npy, "npy"}});
  return names;
}

ReplaySet load_replay_file(const ReplayFileOptions& options, const PoisonShape& data) {
  const FileArrays arrays = read_arrays(options);
  ReplaySet set;
  set.poison = to_images(arrays.images, data);
  const auto count =
      static_cast<int64_t>(set.poison.pixels.size() / static_cast<size_t>(data.image.numel()));
  set.poison.labels = to_labels(arrays.labels, count, data.num_classes);
  set.true_labels = arrays.true_labels ? to_labels(*arrays.true_labels, count, data.num_classes)
                                       : set.poison.labels;
  uint64_t hash = 0xcbf29ce484222325ULL;
  hash = fnv1a(hash, set.poison.pixels.data(), set.poison.pixels.size() * sizeof(float));
  hash = fnv1a(hash, set.poison.labels.data(), set.poison.labels.size() * sizeof(int64_t));
  hash = fnv1a(hash, set.true_labels.data(), set.true_labels.size() * sizeof(int64_t));
  set.digest = hash;
  return set;
}

std::shared_ptr<const ReplaySet> shared_replay_file(const ReplayFileOptions& options,
                                                    const PoisonShape& data) {
  static std::mutex mutex;
  static std::string last_key;
  static std::shared_ptr<const ReplaySet> last;
  const std::string identity = file_identity(options.file);
  const std::string key = fmt::format(
      "{}|{}|{}|{}|{}|{}|{}|{}|{}", identity, file_identity(options.labels_file),
      replay_format_names().name(options.format), options.images, options.labels,
      options.true_labels.value_or("\n"), data.image.str(), data.num_classes, options.labels_file);
  std::lock_guard<std::mutex> lock(mutex);
  if (identity.empty() || key != last_key) {
    last = std::make_shared<const ReplaySet>(load_replay_file(options, data));
    last_key = key;
  }
  return last;
}

}  // namespace poisonsim
