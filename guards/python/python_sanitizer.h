#pragma once
// `sanitize: [{type: python, file: ..., class: ...}]`: a window sanitizer written in Python. The
// user's sanitize(window) is called once per retraining window with the window's labels,
// features, logits and sources as NumPy arrays, and returns a bool keep mask (docs/plugins.md).
#include <optional>

#include "pipeline/python/python_plugin.h"
#include "pipeline/plugins/window_sanitizer.h"

namespace poisonsim::python {

class PythonSanitizer : public WindowSanitizer {
 public:
  explicit PythonSanitizer(const PluginSpec& spec) : object_(spec) {}

  void attach(const GuardContext& context) override;
  void sanitize(const SanitizeWindow& window, SanitizeOutcome& outcome) override;
  void on_deploy() override;
  void save_state(StateOut& out) const override;
  void load_state(StateIn& in) override;

 private:
  PluginObject object_;
  const GuardContext* context_ = nullptr;
  std::optional<LastLayer> last_layer_;
};

}  // namespace poisonsim::python
