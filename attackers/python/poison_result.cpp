#include "attackers/python/poison_result.h"

#include <cmath>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <pybind11/numpy.h>

#include "pipeline/python/python_plugin.h"

namespace poisonsim::python {
namespace {

// `value` as an array, or an error naming what it is instead.
py::array as_array(const py::object& value, const char* what, const std::string& expected,
                   const CodeSite& site) {
  if (!py::isinstance<py::array>(value))
    throw_bad_value(
        site, fmt::format("returned {} as the {}, expected {}", type_name(value), what, expected));
  return py::reinterpret_borrow<py::array>(value);
}

// Integer values of shape (count,), each in [0, bound): labels or seed rows.
std::vector<int64_t> integers(const py::object& value, const char* what, int64_t count,
                              int64_t bound, const CodeSite& site) {
  const std::string expected = fmt::format("an integer NumPy array of shape ({},)", count);
  const py::array array = as_array(value, what, expected, site);
  if (array.ndim() != 1 || array.shape(0) != count)
    throw_bad_value(site, fmt::format("returned {} of shape {}, expected {}", what,
                                      shape_text(array), expected));
  const char kind = array.dtype().kind();
  if (kind != 'i' && kind != 'u')
    throw_bad_value(site, fmt::format("returned {} of dtype {}, expected {}", what,
                                      py::str(array.dtype()).cast<std::string>(), expected));
  const auto values =
      py::array_t<int64_t, py::array::c_style | py::array::forcecast>::ensure(array);
  std::vector<int64_t> out(values.data(), values.data() + count);
  for (int64_t i = 0; i < count; ++i)
    if (out[i] < 0 || out[i] >= bound)
      throw_bad_value(site, fmt::format("returned {} {} for sample {} of {}: expected 0 to {}",
                                        what, out[i], i, count, bound - 1));
  return out;
}

}  // namespace

PoisonBatch poison_result(const py::object& value, int64_t count, const PoisonShape& shape,
                          const Dataset& pool, const CodeSite& site) {
  const ImageShape& s = shape.image;
  if (!py::isinstance<py::tuple>(value) || (py::len(value) != 2 && py::len(value) != 3))
    throw_bad_value(site, fmt::format("returned {}, expected a tuple (images, labels) or "
                                      "(images, labels, seed_rows)",
                                      type_name(value)));
  const auto parts = py::reinterpret_borrow<py::tuple>(value);
  const std::string expected =
      fmt::format("a float32 NumPy array of shape ({}, {}, {}, {}) or ({}, {})", count, s.channels,
                  s.height, s.width, count, s.numel());
  const py::array images = as_array(parts[0], "images", expected, site);
  const bool image_shape = images.ndim() == 4 && images.shape(1) == s.channels &&
                           images.shape(2) == s.height && images.shape(3) == s.width;
  const bool flat_shape = images.ndim() == 2 && images.shape(1) == s.numel();
  if ((!image_shape && !flat_shape) || images.shape(0) != count)
    throw_bad_value(site, fmt::format("returned images of shape {}, expected {}",
                                      shape_text(images), expected));
  if (images.dtype().kind() != 'f' || images.itemsize() != 4)
    throw_bad_value(site, fmt::format("returned images of dtype {}, expected {}",
                                      py::str(images.dtype()).cast<std::string>(), expected));
  const auto pixels = py::array_t<float, py::array::c_style>::ensure(images);
  const auto per = static_cast<size_t>(s.numel());
  PoisonBatch batch;
  Dataset& samples = batch.samples;
  samples.name = site.file;
  samples.shape = s;
  samples.num_classes = shape.num_classes;
  samples.pixels.assign(pixels.data(), pixels.data() + static_cast<size_t>(count) * per);
  for (size_t p = 0; p < samples.pixels.size(); ++p) {
    const float v = samples.pixels[p];
    if (std::isnan(v) || v < 0 || v > 1)
      throw_bad_value(site, fmt::format("returned pixel value {} in image {} of {}: poison "
                                        "images must be finite and in [0, 1]",
                                        v, p / per, count));
  }
  samples.labels = integers(parts[1], "labels", count, shape.num_classes, site);
  if (py::len(parts) == 3) {
    const auto rows =
        integers(parts[2], "seed_rows", count, static_cast<int64_t>(pool.size()), site);
    batch.seeds = pool.subset(std::vector<size_t>(rows.begin(), rows.end()), pool.name + "/seeds");
  } else {
    batch.seeds = samples;  // no clean seed known: each sample is its own (as replayed poison)
  }
  return batch;
}

}  // namespace poisonsim::python
