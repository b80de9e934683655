#pragma once
// `gate: {type: python, file: ..., class: ...}`: a retrain gate written in Python. The user's
// decide(candidate) is called once per retrain with the clean-validation figures of the deployed
// and the retrained model, and returns whether to deploy, optionally with the refusal's reason
// and margin for the trace (docs/plugins.md).
#include "pipeline/python/python_plugin.h"
#include "pipeline/plugins/retrain_gate.h"

namespace poisonsim::python {

class PythonGate : public RetrainGate {
 public:
  explicit PythonGate(const PluginSpec& spec) : object_(spec) {}

  GateDecision decide(const GateInput& input) override;
  void save_state(StateOut& out) const override;
  void load_state(StateIn& in) override;

 private:
  PluginObject object_;
};

// The reason a refusal gets in the trace when decide() returns a plain False.
constexpr const char* kPythonGateReason = "python";

}  // namespace poisonsim::python
