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

std::vector<float> logits_of(const float* features, size_t n, const LastLayer& layer) {
  const auto k = static_cast<size_t>(layer.num_classes);
  const auto d = static_cast<size_t>(layer.feature_dim);
  std::vector<float> out(n * k);
  // Each logit is bias + the products in feature order, as before; the classes' sums advance
  // together so that they are k independent chains, not one chain of k x d dependent additions
  // (a quickstart window's 10M multiply-adds took about 10 ms one after the other).
  for (size_t i = 0; i < n; ++i) {
    float* sums = out.data() + i * k;
    const float* x = features + i * d;
    for (size_t c = 0; c < k; ++c) sums[c] = layer.bias[c];
    for (size_t j = 0; j < d; ++j)
      for (size_t c = 0; c < k; ++c) sums[c] += layer.weight[c * d + j] * x[j];
  }
  return out;
}

}  // namespace poisonsim::python
