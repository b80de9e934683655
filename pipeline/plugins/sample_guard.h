#pragma once
// What a per-sample guard implements: a verdict on each arriving sample, in arrival order.
// Implementations live in guards/per_sample/ and register in guards/register_guards.cpp.
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace poisonsim {

class ConfigNode;
class StateIn;
class StateOut;
struct Dataset;

// What a guard sees of an arriving sample: never whether it is poison (except the oracle
// baseline, which asks for `ground_truth` through GuardNeeds).
struct ScoredSample {
  double time = 0;
  int64_t label = 0;       // the label it arrived with
  int64_t prediction = 0;  // the deployed model's prediction
  float loss = 0;          // cross-entropy of the deployed model on (image, label)
  // The image (C x H x W floats) and the deployed model's features of it (its last hidden
  // layer after ReLU, feature_dim floats). Both stay valid during the judge call only; features
  // is null unless the guard asked for them (GuardNeeds::features).
  const float* image = nullptr;
  const float* features = nullptr;
  int64_t feature_dim = 0;
  // Set only for a guard whose needs() says ground_truth (the oracle baseline): whether the
  // sample is poison. Null for every other guard.
  const bool* ground_truth = nullptr;
};

enum class Verdict : uint8_t { accept = 0, reject = 1 };

// What a guard asks the pipeline to compute for it.
struct GuardNeeds {
  bool features = false;      // ScoredSample::features (native mlp/cnn targets only)
  bool ground_truth = false;  // ScoredSample::ground_truth: baselines only, never a defense
};

// The deployed model's map from features to logits: logits = weight x features + bias. For a
// model without hidden layers, whose features are its logits, the identity (bias 0).
struct LastLayer {
  int64_t num_classes = 0;
  int64_t feature_dim = 0;
  std::vector<float> weight;  // num_classes x feature_dim, row-major (LibTorch's Linear layout)
  std::vector<float> bias;    // num_classes
};

// The logits a defense stage is given (Python and TorchScript stages alike): for n rows of
// layer.feature_dim features, features x weight^T + bias, n x num_classes, row-major.
std::vector<float> logits_of(const float* features, size_t n, const LastLayer& layer);

// What a guard may use besides the samples, given once before the first sample: the deployed
// model's features of any images (to refresh a bank after a deploy) and its last layer, the
// deployer's trusted clean data (the pretraining split) and a seed for its random streams.
class GuardContext {
 public:
  virtual ~GuardContext() = default;
  virtual int64_t feature_dim() const = 0;
  // The deployed model's features of every image of `data`, n x feature_dim, computed in fixed
  // chunks so the values do not depend on the thread count.
  virtual std::vector<float> features(const Dataset& data) const = 0;
  // The deployed model's last layer (a copy: a deploy changes the model).
  virtual LastLayer last_layer() const = 0;
  virtual const Dataset& trusted() const = 0;
  virtual uint64_t seed() const = 0;
};

class SampleGuard {
 public:
  virtual ~SampleGuard() = default;
  virtual GuardNeeds needs() const { return {}; }
  // Called once, before load_state() and the first judge(); the context outlives the guard.
  virtual void attach(const GuardContext& /*context*/) {}
  // Called in arrival order, one sample at a time (guards may keep state).
  virtual Verdict judge(const ScoredSample& sample) = 0;
  // One arriving batch, in order. The default judges sample by sample; a guard that compares a
  // sample with a bank overrides it to search for the whole batch at once (the bank then holds
  // what was accepted before the batch, as docs/scenario.md says).
  virtual void judge_batch(const ScoredSample* samples, size_t n, Verdict* verdicts);
  // The model that scores samples changed (a retrained model was deployed).
  virtual void on_deploy() {}
  // The threshold in force, for the trace (NaN when the guard has none).
  virtual double threshold() const;
  // The scores behind the last judge_batch()'s verdicts, one per sample of that batch (higher:
  // more suspect), valid until the next call; null for a stage without a score of its own (the
  // loss guards: samples.loss is theirs). The trace's `scores` table and `roc --stage` use them.
  virtual const float* last_scores() const { return nullptr; }
  // Bytes the guard holds at its fullest (a bank of images and features), for the run's memory
  // estimate; `image_floats` per image, `feature_dim` per feature vector.
  virtual int64_t memory_bytes(int64_t /*image_floats*/, int64_t /*feature_dim*/) const {
    return 0;
  }
  // Checkpoints: what judge() and on_deploy() change (a window of losses, a moving threshold).
  virtual void save_state(StateOut& /*out*/) const {}
  virtual void load_state(StateIn& /*in*/) {}
};

// A guard whose rule looks at whole arriving batches (a bank search, one Python or TorchScript
// call per batch): it implements judge_batch, and a single sample is judged as a batch of one.
class BatchSampleGuard : public SampleGuard {
 public:
  Verdict judge(const ScoredSample& sample) final;
  void judge_batch(const ScoredSample* samples, size_t n, Verdict* verdicts) override = 0;
};

// One score a stage of a chain gave one sample (GuardChain, SanitizerChain): `sample` indexes
// what the chain was given, `stage` is the chain's 0-based stage.
struct StageScore {
  size_t sample = 0;
  uint8_t stage = 0;
  bool rejected = false;
  float score = 0;
};

using SampleGuardFactory = std::function<std::unique_ptr<SampleGuard>()>;
using SampleGuardParser = std::function<SampleGuardFactory(ConfigNode& node)>;

}  // namespace poisonsim
