#include "guards/python/python_sanitizer.h"

#include <algorithm>
#include <string>

#include <pybind11/stl.h>

#include "guards/python/numpy_arrays.h"
#include "sim/kernel/state_archive.h"

namespace poisonsim::python {

PythonSanitizer::PythonSanitizer(const PluginSpec& spec) : object_(spec) {
  py::gil_scoped_acquire gil;
  if (!object_.has_attribute("bank_size")) return;
  const py::object value = object_.attribute("bank_size");
  const bool integer = py::isinstance<py::int_>(value) && !py::isinstance<py::bool_>(value);
  const auto size = integer ? value.cast<long long>() : 0;
  if (!integer || size < 1)
    throw_bad_value(object_.site("__init__"),
                    "bank_size is " + py::repr(value).cast<std::string>() +
                        ", expected a positive integer (the trusted samples whose features "
                        "window.trusted_features holds)");
  bank_size_ = static_cast<int64_t>(size);
  bank_.emplace(bank_size_);
}

PythonSanitizer::~PythonSanitizer() {
  py::gil_scoped_acquire gil;
  trusted_features_ = py::object();
  trusted_labels_ = py::object();
}

void PythonSanitizer::attach(const GuardContext& context) {
  context_ = &context;
  if (bank_) bank_->attach(context);
  last_layer_ = context.last_layer();
  py::gil_scoped_acquire gil;
  if (object_.has("attach")) object_.call("attach", context_namespace(context));
}

void PythonSanitizer::prepare_trusted() {
  if (!bank_->prepare() && trusted_features_) return;
  const auto m = static_cast<ssize_t>(bank_->size());
  py::array_t<float> f = copy_array(bank_->features(), {m, bank_->dim()});
  py::array_t<int64_t> l = copy_array(bank_->labels().data(), {m});
  // The same arrays are given to every window until the next deploy: read-only, so that one
  // window's sanitize() cannot change what the next one is given.
  f.attr("setflags")(py::arg("write") = false);
  l.attr("setflags")(py::arg("write") = false);
  trusted_features_ = std::move(f);
  trusted_labels_ = std::move(l);
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
  if (bank_ && context_) {
    prepare_trusted();
    arguments["trusted_features"] = trusted_features_;
    arguments["trusted_labels"] = trusted_labels_;
  } else {
    arguments["trusted_features"] = py::none();
    arguments["trusted_labels"] = py::none();
  }
  const py::object value = py::module_::import("types").attr("SimpleNamespace")(**arguments);
  py::object returned = object_.call("sanitize", value);
  const CodeSite site = object_.site("sanitize");
  // `keep`, or `(keep, unjudged)`: unjudged counts the samples of classes the rule could not
  // judge (kept), which the trace records as a sanitize-noop, as for the C++ stages.
  if (py::isinstance<py::tuple>(returned)) {
    const auto pair = py::reinterpret_borrow<py::tuple>(returned);
    if (pair.size() != 2)
      throw_bad_value(site, "returned a tuple of " + std::to_string(pair.size()) +
                                " items, expected a bool array or (keep, unjudged)");
    const py::object count = pair[1];
    const bool integer = (py::isinstance<py::int_>(count) || py::hasattr(count, "__index__")) &&
                         !py::isinstance<py::bool_>(count);
    const long long unjudged = integer ? py::int_(count).cast<long long>() : -1;
    if (unjudged < 0 || unjudged > static_cast<long long>(n))
      throw_bad_value(site, "returned unjudged = " + py::repr(count).cast<std::string>() +
                                ", expected an integer from 0 to the window's " +
                                std::to_string(n) + " samples");
    outcome.unjudged = static_cast<int64_t>(unjudged);
    returned = pair[0];
  }
  const auto keep = bool_mask(returned, n, site);
  for (size_t i = 0; i < n; ++i) outcome.remove[i] = keep[i] ? 0 : 1;
}

int64_t PythonSanitizer::memory_bytes(int64_t image_floats, int64_t feature_dim) const {
  return FeatureBank::bytes_at_capacity(bank_size_, image_floats, feature_dim);
}

void PythonSanitizer::on_deploy() {
  if (context_) last_layer_ = context_->last_layer();
  if (bank_) bank_->mark_stale();  // the trusted features are recomputed at the next window
  py::gil_scoped_acquire gil;
  if (object_.has("on_deploy")) object_.call("on_deploy");
}

void PythonSanitizer::save_state(StateOut& out) const {
  // The trusted features derive from the trusted data and the deployed model (restored before
  // load_state): not saved, recomputed after a resume, as the C++ stages do.
  object_.save_state(out, "sanitize/python");
}

void PythonSanitizer::load_state(StateIn& in) {
  object_.load_state(in, "sanitize/python");
  if (bank_) bank_->mark_stale();
}

}  // namespace poisonsim::python
