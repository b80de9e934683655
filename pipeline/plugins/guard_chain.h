#pragma once
// The defense stages a scenario composes (`guard:` as a list), judged in the order written: a
// sample reaches stage i only if stages 0..i-1 accepted it, and the first stage that rejects it
// is recorded in the trace (samples.rejected_by). A single `guard:` mapping is a chain of one.
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "pipeline/plugins/sample_guard.h"

namespace poisonsim {

class GuardChain : public SampleGuard {
 public:
  struct Stage {
    std::string type;
    std::unique_ptr<SampleGuard> guard;
  };
  explicit GuardChain(std::vector<Stage> stages);

  // Judges one arriving batch: rejected_by[i] is the index of the stage that rejected sample i,
  // or -1 when every stage accepted it. `scores` (optional) receives the scoring stages' scores
  // of each sample they judged.
  void judge_stages(const ScoredSample* samples, size_t n, int8_t* rejected_by,
                    std::vector<StageScore>* scores = nullptr);

  GuardNeeds needs() const override;
  void attach(const GuardContext& context) override;
  Verdict judge(const ScoredSample& sample) override;
  void judge_batch(const ScoredSample* samples, size_t n, Verdict* verdicts) override;
  void on_deploy() override;
  // The first stage's threshold that is not NaN: what a guard-aware attacker estimates.
  double threshold() const override;
  int64_t memory_bytes(int64_t image_floats, int64_t feature_dim) const override;
  void save_state(StateOut& out) const override;
  void load_state(StateIn& in) override;

  size_t size() const { return stages_.size(); }
  const std::string& type(size_t stage) const { return stages_[stage].type; }
  // "loss-threshold" for one stage, "loss-threshold + knn" for two.
  std::string describe() const;
  // Wall seconds each stage spent judging, since the chain was made (trace: defense_seconds).
  const std::vector<double>& stage_seconds() const { return seconds_; }

 private:
  std::vector<Stage> stages_;
  std::vector<double> seconds_;
};

// Stages are at most this many: rejected_by is stored as an int8 in the trace.
constexpr size_t kMaxGuardStages = 16;

}  // namespace poisonsim
