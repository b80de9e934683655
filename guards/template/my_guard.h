#pragma once
// A C++ per-sample guard to copy and rename (docs/plugins.md, "Templates"): it rejects a sample
// whose loss is more than `factor` times the median loss of the last `window` samples it
// accepted; until it has accepted `warmup` samples it accepts every finite loss. A batch is
// judged against what was accepted before it. tests/plugin_template_cpp_test.cpp builds and
// tests it as a plug-in is tested; to ship yours, move its two files to guards/per_sample/, add
// the .cpp to guards/CMakeLists.txt and call its register function from
// guards/register_guards.cpp.
#include <cstdint>
#include <deque>
#include <string>

#include "pipeline/plugins/registry.h"

namespace poisonsim {

struct MyGuardOptions {
  double factor = 3.0;
  int64_t window = 256;
  int64_t warmup = 32;
};

class MyGuard : public BatchSampleGuard {
 public:
  explicit MyGuard(const MyGuardOptions& options) : options_(options) {}
  void judge_batch(const ScoredSample* samples, size_t n, Verdict* verdicts) override;
  // Checkpoints: the accepted losses are what judge_batch() changes.
  void save_state(StateOut& out) const override;
  void load_state(StateIn& in) override;

 private:
  MyGuardOptions options_;
  std::deque<float> accepted_;  // the last `window` accepted losses, oldest first
};

// Adds `type: my-guard` with its summary and keys (what `poisonsim list` prints) and a parser
// that checks them at load, naming the key in its error.
void register_my_guard(PluginRegistry& registry);

}  // namespace poisonsim
