#pragma once
// The two baselines every defense comparison needs (as Armory reports them): a filter that
// rejects each sample with a fixed probability, whatever it is, and an oracle that rejects
// exactly the poison. The oracle is the one guard that sees the ground truth; no defense may.
#include <cstdint>
#include <optional>

#include "pipeline/plugins/sample_guard.h"
#include "sim/kernel/random_stream.h"

namespace poisonsim {

class RandomFilter : public SampleGuard {
 public:
  explicit RandomFilter(double rate) : rate_(rate) {}
  // Its stream is derived from the scenario seed, so the verdicts are the same on every machine.
  void attach(const GuardContext& context) override;
  Verdict judge(const ScoredSample& sample) override;
  void save_state(StateOut& out) const override;
  void load_state(StateIn& in) override;

 private:
  double rate_;
  std::optional<RandomStream> stream_;
};

class OracleFilter : public SampleGuard {
 public:
  GuardNeeds needs() const override { return {false, true}; }
  Verdict judge(const ScoredSample& sample) override;
};

}  // namespace poisonsim
