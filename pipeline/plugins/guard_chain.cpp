#include "pipeline/plugins/guard_chain.h"

#include <chrono>
#include <cmath>
#include <limits>
#include <stdexcept>

namespace poisonsim {

GuardChain::GuardChain(std::vector<Stage> stages)
    : stages_(std::move(stages)), seconds_(stages_.size()) {
  if (stages_.empty() || stages_.size() > kMaxGuardStages)
    throw std::invalid_argument("GuardChain: 1 to 16 stages");
}

void GuardChain::judge_stages(const ScoredSample* samples, size_t n, int8_t* rejected_by,
                              std::vector<StageScore>* scores) {
  // Each stage sees the survivors of the stages before it, in arrival order, as one batch.
  std::vector<size_t> alive(n);
  for (size_t i = 0; i < n; ++i) {
    alive[i] = i;
    rejected_by[i] = -1;
  }
  std::vector<ScoredSample> batch;
  std::vector<Verdict> verdicts;
  for (size_t s = 0; s < stages_.size() && !alive.empty(); ++s) {
    // The first stage sees every sample: no copy. Later ones see the survivors, gathered.
    const ScoredSample* seen = samples;
    if (s > 0) {
      batch.clear();
      for (size_t i : alive) batch.push_back(samples[i]);
      seen = batch.data();
    }
    verdicts.assign(alive.size(), Verdict::accept);
    const auto start = std::chrono::steady_clock::now();
    stages_[s].guard->judge_batch(seen, alive.size(), verdicts.data());
    seconds_[s] += std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    if (const float* stage_scores = scores ? stages_[s].guard->last_scores() : nullptr)
      for (size_t j = 0; j < alive.size(); ++j)
        if (!std::isnan(stage_scores[j]))  // NaN: the stage scored nothing (a missing class)
          scores->push_back({alive[j], static_cast<uint8_t>(s), verdicts[j] == Verdict::reject,
                             stage_scores[j]});
    std::vector<size_t> next;
    for (size_t j = 0; j < alive.size(); ++j) {
      if (verdicts[j] == Verdict::reject)
        rejected_by[alive[j]] = static_cast<int8_t>(s);
      else
        next.push_back(alive[j]);
    }
    alive.swap(next);
  }
}

GuardNeeds GuardChain::needs() const {
  GuardNeeds all;
  for (const auto& stage : stages_) {
    const GuardNeeds n = stage.guard->needs();
    all.features = all.features || n.features;
    all.ground_truth = all.ground_truth || n.ground_truth;
  }
  return all;
}

void GuardChain::attach(const GuardContext& context) {
  for (auto& stage : stages_) stage.guard->attach(context);
}

Verdict GuardChain::judge(const ScoredSample& sample) {
  int8_t stage = -1;
  judge_stages(&sample, 1, &stage);
  return stage < 0 ? Verdict::accept : Verdict::reject;
}

void GuardChain::judge_batch(const ScoredSample* samples, size_t n, Verdict* verdicts) {
  std::vector<int8_t> stage(n);
  judge_stages(samples, n, stage.data());
  for (size_t i = 0; i < n; ++i) verdicts[i] = stage[i] < 0 ? Verdict::accept : Verdict::reject;
}

void GuardChain::on_deploy() {
  for (auto& stage : stages_) stage.guard->on_deploy();
}

double GuardChain::threshold() const {
  for (const auto& stage : stages_) {
    const double t = stage.guard->threshold();
    if (!std::isnan(t)) return t;
  }
  return std::numeric_limits<double>::quiet_NaN();
}

int64_t GuardChain::memory_bytes(int64_t image_floats, int64_t feature_dim) const {
  int64_t total = 0;
  for (const auto& stage : stages_) total += stage.guard->memory_bytes(image_floats, feature_dim);
  return total;
}

void GuardChain::save_state(StateOut& out) const {
  // A chain of one writes exactly what its guard writes, so checkpoints of single-guard
  // scenarios keep their layout.
  for (const auto& stage : stages_) stage.guard->save_state(out);
}

void GuardChain::load_state(StateIn& in) {
  for (auto& stage : stages_) stage.guard->load_state(in);
}

std::string GuardChain::describe() const {
  std::string out;
  for (const auto& stage : stages_) out += (out.empty() ? "" : " + ") + stage.type;
  return out;
}

}  // namespace poisonsim
