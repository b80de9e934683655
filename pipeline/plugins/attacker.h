#pragma once
// What an attacker implements: a poison generator asked for a batch at each of its arrivals.
// Implementations live in attackers/ and register in attackers/register_attackers.cpp.
#include <cstdint>
#include <functional>
#include <limits>
#include <memory>
#include <string>

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

// What a poison generator may use when it is asked for a batch.
struct AttackContext {
  const TargetModel& model;      // the model as this attacker knows it (current, stale, surrogate)
  const Dataset& clean_pool;     // the attacker's own clean samples to draw poison seeds from
  const Dataset& validation;     // the attacker's own clean validation data (its objective)
  RandomStream& rng;             // the attacker's own random stream
  double now = 0;                // simulated time
  int64_t model_version = 0;     // changes when the model the attacker knows changes
  Progress* progress = nullptr;  // long generation reports here when set (standalone attacks)
  // What a guard-aware attacker (attackers/common/evasion.h) may learn of the guard: the deployed
  // guard's threshold now (NaN when it has none or there is no simulation) and the verdicts on
  // this attacker's own samples judged so far (null: none yet, or no simulation).
  double guard_threshold = std::numeric_limits<double>::quiet_NaN();
  const GuardEvidence* guard_evidence = nullptr;
  // The run's wall time by stage, for generators that time their own parts (e.g. "generator
  // training"); null outside a simulation.
  StageTimes* stages = nullptr;
  // The retraining window this arrival falls in: the retrains done so far (0 before the first).
  int64_t window = 0;
  // Records a phase of the attacker's plan as an events row of this attacker (kind, size);
  // unset outside a simulation.
  std::function<void(const std::string& kind, int64_t size)> record_phase = nullptr;
};

struct PoisonBatch {
  Dataset samples;  // images in [0, 1], labels as the attacker chooses
  Dataset seeds;    // each sample's clean seed image and label, same order
};

class PoisonGenerator {
 public:
  virtual ~PoisonGenerator() = default;
  virtual PoisonBatch generate(AttackContext& context, int64_t count) = 0;
  // True once it will make no more poison (a replayed file that ran out): the attacker then
  // stops arriving. generate() may return fewer samples than asked just before.
  virtual bool exhausted() const { return false; }
  // Checkpoints: whatever generate() changes and later calls read (a trained generator, the
  // model version it was trained for, counters). Generators without such state keep these.
  virtual void save_state(StateOut& /*out*/) const {}
  virtual void load_state(StateIn& /*in*/) {}
};

// What every poison sample must be, known from the scenario before any data is loaded: the data
// set's image shape and number of classes (a parser checks poison read from a file against it).
struct PoisonShape {
  ImageShape image;
  int64_t num_classes = 10;
};

// Reads the type's own keys from its scenario node (validation happens here, before the data
// set is loaded) and returns a factory for the generator.
using PoisonGeneratorFactory = std::function<std::unique_ptr<PoisonGenerator>()>;
using AttackerParser =
    std::function<PoisonGeneratorFactory(ConfigNode& node, const PoisonShape& data)>;

}  // namespace poisonsim
