#include "guards/python/register_python.h"

#include "guards/python/python_gate.h"
#include "guards/python/python_guard.h"
#include "guards/python/python_sanitizer.h"
#include "pipeline/scenario/config_node.h"

namespace poisonsim {

void register_python_stages(PluginRegistry& registry) {
  // Beside file, class and sha256, every key of the block goes to the class's constructor as a
  // dict; `poisonsim list` shows these three (docs/plugins.md describes the rest).
  const std::vector<std::string> keys = {"file", "class", "sha256"};
  registry.guards.add(
      "python",
      "your own guard: class `class` of the Python file `file`, judge(batch) once per scored "
      "batch returns an accept mask; other keys go to its constructor (docs/plugins.md)",
      keys, [](ConfigNode& node) {
        const auto spec = python::read_plugin_spec(node, "guard", {"judge"});
        return SampleGuardFactory([spec] { return std::make_unique<python::PythonGuard>(spec); });
      });
  registry.sanitizers.add(
      "python",
      "your own sanitizer: class `class` of the Python file `file`, sanitize(window) once per "
      "retraining window returns a keep mask; other keys go to its constructor "
      "(docs/plugins.md)",
      keys, [](ConfigNode& node) {
        const auto spec = python::read_plugin_spec(node, "sanitizer", {"sanitize"});
        return WindowSanitizerFactory(
            [spec] { return std::make_unique<python::PythonSanitizer>(spec); });
      });
  registry.gates.add(
      "python",
      "your own gate: class `class` of the Python file `file`, decide(candidate) once per "
      "retrain returns whether to deploy; other keys go to its constructor (docs/plugins.md)",
      keys, [](ConfigNode& node) {
        const auto spec = python::read_plugin_spec(node, "gate", {"decide"});
        return RetrainGateFactory([spec] { return std::make_unique<python::PythonGate>(spec); });
      });
}

}  // namespace poisonsim
