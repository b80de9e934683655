#pragma once
// `guard: {type: torchscript, file: scorer.pt, input: ..., threshold: X, rule: above|below}`: a
// scripted module (torch.jit.script(...).save) maps a scored batch's tensors to one score per
// sample, and a sample whose score crosses the threshold is rejected. A user's rule at C++
// speed, without Python at run time. LibTorch stays in the .cpp files: this header is torch-free.
#include <memory>
#include <string>
#include <vector>

#include "pipeline/plugins/sample_guard.h"
#include "sim/util/enum_names.h"

namespace poisonsim {

// What forward() is given, in the order the scenario lists them.
enum class ScoreInput { losses, labels, predictions, images, features, logits };
const EnumNames<ScoreInput>& score_input_names();
// above: reject a score above the threshold (a loss); below: reject one below it (a
// confidence). A NaN or infinite score is rejected either way, as the loss guard rejects such
// a loss.
enum class ScoreRule { above, below };
const EnumNames<ScoreRule>& score_rule_names();

struct TorchScriptGuardOptions {
  std::string file;                                 // as the scenario names it (messages)
  std::shared_ptr<const std::string> module_bytes;  // read once at validation, shared by runs
  std::vector<ScoreInput> inputs;
  double threshold = 0;
  ScoreRule rule = ScoreRule::above;
};

// Reads the block's keys, loads the module once (UserError at `file` when it is missing or not
// a TorchScript archive) and records the file in the provenance.
TorchScriptGuardOptions read_torchscript_guard_options(ConfigNode& node);

class TorchScriptGuard : public BatchSampleGuard {
 public:
  explicit TorchScriptGuard(TorchScriptGuardOptions options);
  ~TorchScriptGuard() override;

  GuardNeeds needs() const override;
  void attach(const GuardContext& context) override;
  void judge_batch(const ScoredSample* samples, size_t n, Verdict* verdicts) override;
  void on_deploy() override;
  // The threshold when the score is the loss itself, as far as the guard can know (`input:
  // losses`, `rule: above`): what a guard-aware attacker may read. NaN otherwise.
  double threshold() const override;

 private:
  struct Module;  // torch::jit::Module, and the last layer as tensors
  TorchScriptGuardOptions options_;
  std::unique_ptr<Module> module_;
  const GuardContext* context_ = nullptr;
};

// Loads `bytes` as a TorchScript module to check it is one (UserError at `file` otherwise).
void check_torchscript_archive(const std::string& bytes, const std::string& file);

}  // namespace poisonsim
