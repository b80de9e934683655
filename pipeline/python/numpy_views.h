#pragma once
// NumPy arrays of C++ values for python plug-ins: a copy, or a read-only view of data that
// outlives every use of the array. Only the python stages include it (it includes pybind11).
#include <algorithm>
#include <vector>

#include <pybind11/numpy.h>

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

}  // namespace poisonsim::python
