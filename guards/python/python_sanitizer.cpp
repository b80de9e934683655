#include "guards/python/python_sanitizer.h"

#include <pybind11/stl.h>

#include "guards/python/numpy_arrays.h"
#include "sim/kernel/state_archive.h"

namespace poisonsim::python {

void PythonSanitizer::attach(const GuardContext& context) {
  context_ = &context;
  last_layer_ = context.last_layer();
  py::gil_scoped_acquire gil;
  if (object_.has("attach")) object_.call("attach", context_namespace(context));
}

void PythonSanitizer::sanitize(const SanitizeWindow& window, SanitizeOutcome& outcome) {
  const size_t n = window.size;
  if (n == 0) return;
  const auto rows = static_cast<ssize_t>(n);
  py::gil_scoped_acquire gil;
  py::dict arguments;
  arguments["labels"] = copy_array(window.labels, {rows});
  arguments["features"] = copy_array(window.features, {rows, window.feature_dim});
  if (last_layer_ && last_layer_->feature_dim == window.feature_dim)
    arguments["logits"] = copy_array(logits_of(window.features, n, *last_layer_).data(),
                                     {rows, last_layer_->num_classes});
  else
    arguments["logits"] = py::none();
  if (window.sources && window.source_names) {
    arguments["sources"] = copy_array(window.sources, {rows});
    arguments["source_names"] = py::cast(*window.source_names);
  } else {
    arguments["sources"] = py::none();
    arguments["source_names"] = py::none();
  }
  const py::object value = py::module_::import("types").attr("SimpleNamespace")(**arguments);
  const auto keep = bool_mask(object_.call("sanitize", value), n, object_.site("sanitize"));
  for (size_t i = 0; i < n; ++i) outcome.remove[i] = keep[i] ? 0 : 1;
}

void PythonSanitizer::on_deploy() {
  if (context_) last_layer_ = context_->last_layer();
  py::gil_scoped_acquire gil;
  if (object_.has("on_deploy")) object_.call("on_deploy");
}

void PythonSanitizer::save_state(StateOut& out) const {
  object_.save_state(out, "sanitize/python");
}

void PythonSanitizer::load_state(StateIn& in) { object_.load_state(in, "sanitize/python"); }

}  // namespace poisonsim::python
