#pragma once
// `sanitize: [{type: python, file: ..., class: ...}]`: a window sanitizer written in Python. The
// user's sanitize(window) is called once per retraining window with the window's labels,
// features, logits and sources as NumPy arrays, and returns a bool keep mask (docs/plugins.md).
// A class with a `bank_size` attribute is also given the deployed model's features of the
// trusted split's first `bank_size` samples, from the FeatureBank the C++ window sanitizers
// calibrate on (guards/window/trusted_bank_sanitizer.h): featurised at the first non-empty window
// and again at the first one after each deploy (or resume), and copied into NumPy only then.
#include <cstdint>
#include <optional>

#include "guards/per_sample/feature_bank.h"
#include "pipeline/plugins/window_sanitizer.h"
#include "pipeline/python/python_plugin.h"

namespace poisonsim::python {

class PythonSanitizer : public WindowSanitizer {
 public:
  // UserError when the class's `bank_size` is not a positive integer.
  explicit PythonSanitizer(const PluginSpec& spec);
  ~PythonSanitizer() override;
  PythonSanitizer(const PythonSanitizer&) = delete;
  PythonSanitizer& operator=(const PythonSanitizer&) = delete;

  void attach(const GuardContext& context) override;
  void sanitize(const SanitizeWindow& window, SanitizeOutcome& outcome) override;
  int64_t memory_bytes(int64_t image_floats, int64_t feature_dim) const override;
  void on_deploy() override;
  void save_state(StateOut& out) const override;
  void load_state(StateIn& in) override;

 private:
  // The bank made ready, and its features and labels copied into NumPy when they changed. Call
  // with the GIL held.
  void prepare_trusted();

  PluginObject object_;
  const GuardContext* context_ = nullptr;
  std::optional<LastLayer> last_layer_;
  int64_t bank_size_ = 0;            // 0: the class asked for no trusted features
  std::optional<FeatureBank> bank_;  // when bank_size_ > 0
  py::object trusted_features_;      // float32 (m, d), read-only, the deployed model's
  py::object trusted_labels_;        // int64 (m,), read-only
};

}  // namespace poisonsim::python
