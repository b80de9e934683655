#include "guards/template/my_guard.h"

#include <algorithm>
#include <cmath>
#include <vector>

#include "pipeline/scenario/config_node.h"
#include "sim/kernel/state_archive.h"

namespace poisonsim {

void MyGuard::judge_batch(const ScoredSample* samples, size_t n, Verdict* verdicts) {
  double limit = INFINITY;  // warm-up: every finite loss
  if (static_cast<int64_t>(accepted_.size()) >= options_.warmup) {
    std::vector<float> sorted(accepted_.begin(), accepted_.end());
    auto middle = sorted.begin() + static_cast<std::ptrdiff_t>(sorted.size() / 2);
    std::nth_element(sorted.begin(), middle, sorted.end());
    limit = options_.factor * static_cast<double>(*middle);
  }
  for (size_t i = 0; i < n; ++i) {
    const bool keep = std::isfinite(samples[i].loss) && samples[i].loss <= limit;
    verdicts[i] = keep ? Verdict::accept : Verdict::reject;
  }
  for (size_t i = 0; i < n; ++i) {  // after the batch: it is judged against what came before
    if (verdicts[i] != Verdict::accept) continue;
    accepted_.push_back(samples[i].loss);
    if (static_cast<int64_t>(accepted_.size()) > options_.window) accepted_.pop_front();
  }
}

void MyGuard::save_state(StateOut& out) const {
  out(std::vector<float>(accepted_.begin(), accepted_.end()));
}

void MyGuard::load_state(StateIn& in) {
  std::vector<float> losses;
  in(losses);
  accepted_.assign(losses.begin(), losses.end());
}

void register_my_guard(PluginRegistry& registry) {
  registry.guards.add(
      "my-guard",
      "reject a sample whose loss exceeds `factor` x the median of the last `window` accepted "
      "losses (after `warmup` acceptances)",
      {"factor", "window", "warmup"}, [](ConfigNode& node) {
        MyGuardOptions o;
        o.factor = node.get<double>("factor", o.factor, greater_than(1));
        o.window = node.get<int64_t>("window", o.window, int_in_range(1, 1000000));
        o.warmup = node.get<int64_t>("warmup", o.warmup, int_in_range(1, o.window));
        return SampleGuardFactory([o] { return std::make_unique<MyGuard>(o); });
      });
}

}  // namespace poisonsim
