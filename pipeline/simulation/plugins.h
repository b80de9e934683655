#pragma once
// The interfaces the simulation calls and the registries that map a scenario's `type:` name to
// an implementation. Implementations live in attackers/ and guards/ and register themselves in
// that folder's register_*() function, so adding one touches one folder.
#include <cstdint>
#include <functional>
#include <limits>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "pipeline/data/dataset.h"

namespace poisonsim {

class ConfigNode;
class GuardEvidence;
class Progress;
class RandomStream;
class StageTimes;
class StateIn;
class StateOut;
class TargetModel;

// ---- Attackers ----

// What a poison generator may use when it is asked for a batch.
struct AttackContext {
  const TargetModel& model;      // the model as this attacker knows it (current, stale, surrogate)
  const Dataset& clean_pool;     // the attacker's own clean samples to draw poison seeds from
  const Dataset& validation;     // the attacker's own clean validation data (its objective)
  RandomStream& rng;             // the attacker's own random stream
  double now = 0;                // simulated time
  int64_t model_version = 0;     // changes when the model the attacker knows changes
  Progress* progress = nullptr;  // long generation reports here when set (standalone attacks)
  // What a guard-aware attacker (attackers/evasion.h) may learn of the guard: the deployed
  // guard's threshold now (NaN when it has none or there is no simulation) and the verdicts on
  // this attacker's own samples judged so far (null: none yet, or no simulation).
  double guard_threshold = std::numeric_limits<double>::quiet_NaN();
  const GuardEvidence* guard_evidence = nullptr;
  // The run's wall time by stage, for generators that time their own parts (e.g. "generator
  // training"); null outside a simulation.
  StageTimes* stages = nullptr;
};

struct PoisonBatch {
  Dataset samples;  // images in [0, 1], labels as the attacker chooses
  Dataset seeds;    // each sample's clean seed image and label, same order
};

class PoisonGenerator {
 public:
  virtual ~PoisonGenerator() = default;
  virtual PoisonBatch generate(AttackContext& context, int64_t count) = 0;
  // Checkpoints: whatever generate() changes and later calls read (a trained generator, the
  // model version it was trained for, counters). Generators without such state keep these.
  virtual void save_state(StateOut& /*out*/) const {}
  virtual void load_state(StateIn& /*in*/) {}
};

// Reads the type's own keys from its scenario node (validation happens here, before any data is
// loaded) and returns a factory for the generator.
using PoisonGeneratorFactory = std::function<std::unique_ptr<PoisonGenerator>()>;
using AttackerParser = std::function<PoisonGeneratorFactory(ConfigNode& node)>;

// ---- Per-sample guards ----

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

// ---- Retrain gate ----

struct GateInput {
  double validation_loss_before = 0;
  double validation_loss_after = 0;
  double validation_accuracy_before = 0;
  double validation_accuracy_after = 0;
};

class RetrainGate {
 public:
  virtual ~RetrainGate() = default;
  virtual bool allow_deploy(const GateInput& input) = 0;
  // Checkpoints: what allow_deploy() changes, for gates with memory.
  virtual void save_state(StateOut& /*out*/) const {}
  virtual void load_state(StateIn& /*in*/) {}
};

using RetrainGateFactory = std::function<std::unique_ptr<RetrainGate>()>;
using RetrainGateParser = std::function<RetrainGateFactory(ConfigNode& node)>;

// ---- Registries ----

template <class Parser>
class Registry {
 public:
  struct Entry {
    std::string summary;
    Parser parse;
  };
  void add(const std::string& type, std::string summary, Parser parse) {
    entries_[type] = Entry{std::move(summary), std::move(parse)};
  }
  const Entry* find(const std::string& type) const {
    auto it = entries_.find(type);
    return it == entries_.end() ? nullptr : &it->second;
  }
  std::vector<std::string> types() const {
    std::vector<std::string> out;
    for (const auto& [type, entry] : entries_) out.push_back(type);
    return out;
  }
  const std::map<std::string, Entry>& entries() const { return entries_; }

 private:
  std::map<std::string, Entry> entries_;
};

struct PluginRegistry {
  Registry<AttackerParser> attackers;
  Registry<SampleGuardParser> guards;
  Registry<RetrainGateParser> gates;
};

}  // namespace poisonsim
