#pragma once
// `guard: {type: python, file: ..., class: ...}`: a per-sample guard written in Python. The
// user's judge(batch) is called once per scored batch, in arrival order, with the batch as NumPy
// arrays, and returns a bool accept mask (docs/plugins.md).
#include <memory>
#include <optional>

#include "pipeline/plugins/sample_guard.h"
#include "pipeline/python/python_plugin.h"

namespace poisonsim::python {

class PythonGuard : public BatchSampleGuard {
 public:
  explicit PythonGuard(const PluginSpec& spec);

  GuardNeeds needs() const override { return needs_; }
  void attach(const GuardContext& context) override;
  void judge_batch(const ScoredSample* samples, size_t n, Verdict* verdicts) override;
  void on_deploy() override;
  // The instance's `threshold` attribute when it is a number (a guard-aware attacker's known
  // threshold), otherwise NaN.
  double threshold() const override;
  void save_state(StateOut& out) const override;
  void load_state(StateIn& in) override;

 private:
  PluginObject object_;
  GuardNeeds needs_;
  const GuardContext* context_ = nullptr;
  std::optional<LastLayer> last_layer_;  // for the batch's logits, when features are asked for
};

}  // namespace poisonsim::python
