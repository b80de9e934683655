#pragma once
// What a retrain gate implements: whether a retrained model may replace the deployed one.
// Implementations live in guards/gates/ and register in guards/register_guards.cpp.
#include <functional>
#include <limits>
#include <memory>
#include <string>
#include <utility>

namespace poisonsim {

class ConfigNode;
class StateIn;
class StateOut;

struct GateInput {
  double validation_loss_before = 0;
  double validation_loss_after = 0;
  double validation_accuracy_before = 0;
  double validation_accuracy_after = 0;
};

// A gate's verdict and, for a refusal, why: the limit the candidate broke (`reason`, a short
// name the trace records in retrains.gate_reason) and by how much it went past it (`margin`, in
// that limit's units: nats for a loss, a fraction for an accuracy; NaN when not a number).
struct GateDecision {
  bool allow = true;
  std::string reason;
  double margin = std::numeric_limits<double>::quiet_NaN();

  static GateDecision allowed() { return {}; }
  static GateDecision refused(std::string why, double by) { return {false, std::move(why), by}; }
};

class RetrainGate {
 public:
  virtual ~RetrainGate() = default;
  virtual GateDecision decide(const GateInput& input) = 0;
  // Checkpoints: what decide() changes, for gates with memory.
  virtual void save_state(StateOut& /*out*/) const {}
  virtual void load_state(StateIn& /*in*/) {}
};

using RetrainGateFactory = std::function<std::unique_ptr<RetrainGate>()>;
using RetrainGateParser = std::function<RetrainGateFactory(ConfigNode& node)>;

}  // namespace poisonsim
