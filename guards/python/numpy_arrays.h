#pragma once
// NumPy arrays of what a python stage is given: copies of a batch's or window's values, and
// read-only views of data that outlives the stage (the trusted split). Private to guards/python/.
#include <cstdint>
#include <vector>

#include <pybind11/numpy.h>

#include "pipeline/data/dataset.h"
#include "pipeline/plugins/sample_guard.h"

namespace poisonsim::python {

namespace py = pybind11;

// A copy of `values` (`shape` must multiply to values' count). Call with the GIL held.
template <class T>
py::array_t<T> copy_array(const T* values, std::vector<ssize_t> shape) {
  py::array_t<T> out(shape);
  std::copy(values, values + out.size(), out.mutable_data());
  return out;
}

// A read-only view of `values`, which must outlive every use of the array.
template <class T>
py::array_t<T> view_array(const T* values, std::vector<ssize_t> shape) {
  const py::capsule owner(values, [](void*) {});  // the data is not the array's to free
  py::array_t<T> out(shape, values, owner);
  out.attr("setflags")(py::arg("write") = false);
  return out;
}

// What attach(context) gives: seed, feature_dim, num_classes, image_shape and the trusted split's
// images and labels (read-only views). Call with the GIL held.
py::object context_namespace(const GuardContext& context);

// logits = features x weight^T + bias, n x num_classes.
std::vector<float> logits_of(const float* features, size_t n, const LastLayer& layer);

}  // namespace poisonsim::python
