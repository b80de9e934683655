#pragma once
// What a per-sample guard implements: a verdict on each arriving sample, in arrival order.
// Implementations live in guards/per_sample/ and register in guards/register_guards.cpp.
#include <cstdint>
#include <functional>
#include <memory>

namespace poisonsim {

class ConfigNode;
class StateIn;
class StateOut;

// What a guard sees of an arriving sample: never whether it is poison.
struct ScoredSample {
  double time = 0;
  int64_t label = 0;       // the label it arrived with
  int64_t prediction = 0;  // the deployed model's prediction
  float loss = 0;          // cross-entropy of the deployed model on (image, label)
};

enum class Verdict : uint8_t { accept = 0, reject = 1 };

class SampleGuard {
 public:
  virtual ~SampleGuard() = default;
  // Called in arrival order, one sample at a time (guards may keep state).
  virtual Verdict judge(const ScoredSample& sample) = 0;
  // The model that scores samples changed (a retrained model was deployed).
  virtual void on_deploy() {}
  // The threshold in force, for the trace (NaN when the guard has none).
  virtual double threshold() const;
  // Checkpoints: what judge() and on_deploy() change (a window of losses, a moving threshold).
  virtual void save_state(StateOut& /*out*/) const {}
  virtual void load_state(StateIn& /*in*/) {}
};

using SampleGuardFactory = std::function<std::unique_ptr<SampleGuard>()>;
using SampleGuardParser = std::function<SampleGuardFactory(ConfigNode& node)>;

}  // namespace poisonsim
