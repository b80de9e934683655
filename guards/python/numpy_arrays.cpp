#include "guards/python/numpy_arrays.h"

namespace poisonsim::python {

py::object context_namespace(const GuardContext& context) {
  const Dataset& trusted = context.trusted();
  const auto& s = trusted.shape;
  const auto n = static_cast<ssize_t>(trusted.size());
  return py::module_::import("types").attr("SimpleNamespace")(
      py::arg("seed") = context.seed(), py::arg("feature_dim") = context.feature_dim(),
      py::arg("num_classes") = trusted.num_classes,
      py::arg("image_shape") = py::make_tuple(s.channels, s.height, s.width),
      py::arg("trusted_images") =
          view_array(trusted.pixels.data(), {n, s.channels, s.height, s.width}),
      py::arg("trusted_labels") = view_array(trusted.labels.data(), {n}));
}

}  // namespace poisonsim::python
