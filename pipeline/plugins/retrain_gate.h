#pragma once
// What a retrain gate implements: whether a retrained model may replace the deployed one.
// Implementations live in guards/gates/ and register in guards/register_guards.cpp.
#include <functional>
#include <memory>

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

class RetrainGate {
 public:
  virtual ~RetrainGate() = default;
  virtual bool allow_deploy(const GateInput& input) = 0;
  // Checkpoints: what allow_deploy() changes, for gates with memory.
  virtual void save_state(StateOut& /*out*/) const {}
  virtual void load_state(StateIn& /*in*/) {}
};

using RetrainGateFactory = std::function<std::unique_ptr<RetrainGate>()>;
using RetrainGateParser = std::function<RetrainGateFactory(ConfigNode& node)>;

}  // namespace poisonsim
