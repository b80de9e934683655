#pragma once
// The window sanitizers a scenario lists under `sanitize:`, run in the order written on the
// retraining window just before a retrain: stage i sees the samples stages 0..i-1 kept, and the
// first stage that removes a sample is recorded (samples.rejected_by, numbered after the guard's
// stages).
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "pipeline/plugins/window_sanitizer.h"

namespace poisonsim {

class SanitizerChain {
 public:
  struct Stage {
    std::string type;
    std::unique_ptr<WindowSanitizer> sanitizer;
  };
  // What one stage did to one window: the trace's `sanitize` and `sanitize-noop` events.
  struct Report {
    std::string type;
    int64_t seen = 0;      // samples it was given
    int64_t removed = 0;   // of those, removed
    int64_t unjudged = 0;  // of those, in classes too small for its rule (kept)
  };

  explicit SanitizerChain(std::vector<Stage> stages);

  // Runs every stage on a window of `labels.size()` samples with the deployed model's features
  // (n x feature_dim): removed_by[i] is the index of the stage that removed sample i, or -1.
  // `provenance` (optional): each sample's source and a trainer, for stages that retrain.
  // `scores` (optional) receives the scoring stages' scores of the samples they judged.
  std::vector<Report> run(const std::vector<int64_t>& labels, const std::vector<float>& features,
                          int64_t feature_dim, std::vector<int8_t>& removed_by,
                          const WindowProvenance* provenance = nullptr,
                          std::vector<StageScore>* scores = nullptr);

  void attach(const GuardContext& context);
  void on_deploy();
  int64_t memory_bytes(int64_t image_floats, int64_t feature_dim) const;
  void save_state(StateOut& out) const;
  void load_state(StateIn& in);

  size_t size() const { return stages_.size(); }
  const std::string& type(size_t stage) const { return stages_[stage].type; }
  // Wall seconds each stage spent on windows, since the chain was made (trace: defense_seconds).
  const std::vector<double>& stage_seconds() const { return seconds_; }

 private:
  std::vector<Stage> stages_;
  std::vector<double> seconds_;
};

}  // namespace poisonsim
