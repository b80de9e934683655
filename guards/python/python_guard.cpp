#include "guards/python/python_guard.h"

#include <cmath>
#include <limits>

#include "guards/python/numpy_arrays.h"
#include "sim/kernel/state_archive.h"

namespace poisonsim::python {

PythonGuard::PythonGuard(const PluginSpec& spec) : object_(spec) {
  py::gil_scoped_acquire gil;
  needs_.features = object_.flag("needs_features");
}

void PythonGuard::attach(const GuardContext& context) {
  context_ = &context;
  if (needs_.features) last_layer_ = context.last_layer();
  py::gil_scoped_acquire gil;
  if (object_.has("attach")) object_.call("attach", context_namespace(context));
}

void PythonGuard::judge_batch(const ScoredSample* samples, size_t n, Verdict* verdicts) {
  if (n == 0) return;
  std::vector<int64_t> labels(n), predictions(n);
  std::vector<float> losses(n);
  for (size_t i = 0; i < n; ++i) {
    labels[i] = samples[i].label;
    predictions[i] = samples[i].prediction;
    losses[i] = samples[i].loss;
  }
  const auto rows = static_cast<ssize_t>(n);
  py::gil_scoped_acquire gil;
  py::dict batch;
  batch["time"] = samples[0].time;
  batch["labels"] = copy_array(labels.data(), {rows});
  batch["predictions"] = copy_array(predictions.data(), {rows});
  batch["losses"] = copy_array(losses.data(), {rows});
  if (context_) {
    const auto& s = context_->trusted().shape;
    py::array_t<float> images({rows, s.channels, s.height, s.width});
    float* out = images.mutable_data();
    for (size_t i = 0; i < n; ++i)
      std::copy(samples[i].image, samples[i].image + s.numel(), out + i * s.numel());
    batch["images"] = images;
  }
  if (needs_.features && samples[0].features) {
    const auto d = samples[0].feature_dim;
    std::vector<float> features(n * static_cast<size_t>(d));
    for (size_t i = 0; i < n; ++i)
      std::copy(samples[i].features, samples[i].features + d, features.begin() + i * d);
    batch["features"] = copy_array(features.data(), {rows, d});
    if (last_layer_)
      batch["logits"] = copy_array(logits_of(features.data(), n, *last_layer_).data(),
                                   {rows, last_layer_->num_classes});
  }
  const py::object arguments = py::module_::import("types").attr("SimpleNamespace")(**batch);
  const auto mask = bool_mask(object_.call("judge", arguments), n, object_.site("judge"));
  for (size_t i = 0; i < n; ++i) verdicts[i] = mask[i] ? Verdict::accept : Verdict::reject;
}

void PythonGuard::on_deploy() {
  if (needs_.features && context_) last_layer_ = context_->last_layer();
  py::gil_scoped_acquire gil;
  if (object_.has("on_deploy")) object_.call("on_deploy");
}

double PythonGuard::threshold() const {
  py::gil_scoped_acquire gil;
  const char* name = "threshold";
  // Only a plain number: a method or anything else is the user's own business.
  if (!object_.has_attribute(name)) return std::numeric_limits<double>::quiet_NaN();
  const py::object value = object_.attribute(name);
  if (!py::isinstance<py::float_>(value) && !py::isinstance<py::int_>(value))
    return std::numeric_limits<double>::quiet_NaN();
  return value.cast<double>();
}

void PythonGuard::save_state(StateOut& out) const { object_.save_state(out, "guard/python"); }

void PythonGuard::load_state(StateIn& in) { object_.load_state(in, "guard/python"); }

}  // namespace poisonsim::python
