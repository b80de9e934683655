#pragma once
// A validated scenario: everything a run needs, with defaults filled in. The schema is documented
// in docs/scenario.md; parse_scenario() is its single reader.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "pipeline/data/data_source.h"
#include "pipeline/model/model_spec.h"
#include "pipeline/model/training.h"
#include "pipeline/plugins/guard_chain.h"
#include "pipeline/plugins/registry.h"
#include "pipeline/plugins/sanitizer_chain.h"
#include "pipeline/runtime/numerics_mode.h"
#include "pipeline/scenario/accumulate_spec.h"
#include "pipeline/scenario/sweep_axes.h"
#include "sim/util/enum_names.h"

namespace poisonsim {

enum class ArrivalKind { fixed, poisson };
const EnumNames<ArrivalKind>& arrival_kind_names();  // the names scenarios use

struct ArrivalSpec {
  ArrivalKind kind = ArrivalKind::poisson;
  double rate = 1.0;  // batches per simulated second
};

// Where the samples of the training file go; the test file is the evaluation set.
struct DataSplitSpec {
  int64_t pretrain = 20000;            // the deployed model's initial training data
  int64_t validation = 2000;           // the defender's clean validation set (retrain gate)
  int64_t attacker = 2000;             // the attackers' own clean data (poison seeds)
  int64_t attacker_validation = 1000;  // the attackers' own clean validation data
  // The public stream pool takes the rest.
};

struct StreamSpec {
  std::string name;
  ArrivalSpec arrival;
  int64_t batch_size = 32;
  double label_noise = 0;  // fraction of samples arriving with a random wrong label
  double start = 0;
  std::optional<double> stop;  // none: until the end of the run
};

enum class KnowledgeKind { current, stale, surrogate };
const EnumNames<KnowledgeKind>& knowledge_kind_names();

struct KnowledgeSpec {
  KnowledgeKind kind = KnowledgeKind::current;
  int64_t stale_retrains = 1;  // stale: the model as it was this many deployments ago
};

// When an attacker sends the poison its arrival process offers: at every arrival (`uniform`),
// only in the last `timing_span` seconds before a scheduled retrain, only in the first
// `timing_span` seconds after a deployment (the run's start counts as one), or while the guard's
// verdicts on its own recent samples accept at least `timing_min_acceptance` of them
// (`verdicts`: below that it holds back and probes every `timing_probe_every` arrivals). Arrivals
// outside are skipped, their budget kept.
enum class AttackTiming { uniform, before_retrain, after_deploy, verdicts };
const EnumNames<AttackTiming>& attack_timing_names();

// What an attacker knows of the per-sample defense it must pass: nothing beyond its own options
// (`evade`), or the whole guard chain (`known`: pipeline/simulation/known_defense.h).
enum class DefenseKnowledge { none, known };
const EnumNames<DefenseKnowledge>& defense_knowledge_names();

struct AttackerSpec {
  std::string name;
  std::string type;
  ArrivalSpec arrival;
  int64_t batch_size = 32;
  std::optional<int64_t> budget;  // total poisoned samples; none: unlimited
  // Poisoned samples per retraining window (from one retrain to the next); none: unlimited.
  std::optional<int64_t> budget_per_window;
  AttackTiming timing = AttackTiming::uniform;
  double timing_span = 10;
  double timing_min_acceptance = 0.5;  // verdicts: the acceptance it keeps sending at
  int64_t timing_probe_every = 8;      // verdicts: while holding back, one batch per this many
  DefenseKnowledge defense_aware = DefenseKnowledge::none;
  double start = 0;
  std::optional<double> stop;
  KnowledgeSpec knowledge;
  // Poison made this many samples at a time against the known model, handed out a batch per
  // arrival (pipeline/simulation/poison_reserve.h); 0: each batch made on arrival.
  int64_t generate_ahead = 0;
  // The accumulative attacker's plan (pipeline/scenario/accumulate_spec.h); none: every arrival
  // sends what it offers.
  std::optional<AccumulateSpec> accumulate;
  PoisonGeneratorFactory make_generator;
};

enum class RetrainTrigger { interval, buffer };
enum class Eviction { fifo, reservoir };
// What a retrain starts from: the deployed model (fine-tuning) or the base model the run began
// with (retraining from scratch of the deployment, on what the buffer holds).
enum class RetrainStart { deployed, base };
// Which model a retrain returns: its last iterate, the mean of its last epoch's iterates, or the
// epoch with the lowest loss on the defender's validation set.
enum class ModelSelection { last, average, best };
const EnumNames<RetrainTrigger>& retrain_trigger_names();
const EnumNames<Eviction>& eviction_names();
const EnumNames<RetrainStart>& retrain_start_names();
const EnumNames<ModelSelection>& model_selection_names();

struct RetrainSpec {
  RetrainTrigger trigger = RetrainTrigger::interval;
  double interval = 60;        // trigger interval: simulated seconds between retrains
  int64_t min_samples = 1000;  // trigger buffer: retrain once the buffer holds this many
  TrainOptions train = [] {
    TrainOptions t{1, 0.1, 32, 0.0, 0.0, 0};
    t.average_last_epoch = true;
    return t;
  }();
  RetrainStart start = RetrainStart::deployed;
  // The default, measured in docs/results.md#the-victims-stability: the last iterate lost up to
  // 2 points on clean windows, the average at most 0.3.
  ModelSelection select = ModelSelection::average;
  int64_t buffer_capacity = 10000;
  Eviction eviction = Eviction::fifo;
  bool clear_after_retrain = true;
  // Without clearing: keep the samples of the last this many windows (retrain intervals); 0:
  // everything, up to the capacity.
  int64_t keep_windows = 0;
  int64_t replay = 0;  // pretraining samples mixed into each retraining set
};

// `guard:` is one stage (a mapping) or several (a list of mappings), judged in order.
struct GuardSpec {
  std::string type = "none";  // the stages' types joined by " + "
  std::function<std::unique_ptr<GuardChain>()> make_guard;
};

// `sanitize:` a list of window sanitizers run, in the order written, on the retraining window
// just before each retrain. Absent (the default): no sanitizer, and nothing in resolved_yaml.
struct SanitizeSpec {
  std::vector<std::string> types;
  std::function<std::unique_ptr<SanitizerChain>()> make_chain;  // null without a list
};

struct GateSpec {
  std::string type = "none";
  RetrainGateFactory make_gate;
};

struct EvaluationSpec {
  double interval = 30;
  int64_t test_samples = -1;  // -1: the whole test set
};

struct TraceSpec {
  bool samples = true;      // write the per-sample table
  int64_t compression = 4;  // gzip level 0-9
  int64_t chunk_rows = 4096;
  double flush_seconds = 30;  // wall seconds between flushes besides retrains and evaluations
};

struct Scenario {
  std::string file;
  uint64_t seed = 1;
  double duration = 600;
  DataSpec data;
  DataSplitSpec splits;
  ModelSpec model;
  std::optional<std::string> model_file;  // start from this saved model instead of pretraining
  TrainOptions pretrain{5, 0.1, 32, 0.0, 0.0, 0};
  bool pretrain_cache = true;
  int64_t train_threads = 2;
  // Which kernels the numeric libraries may use (pipeline/runtime/numerics_mode.h): portable gives
  // the same numbers on every x86-64-v3 CPU. Verbs that compute switch the process to it.
  NumericsMode numerics = NumericsMode::portable;
  std::vector<StreamSpec> streams;
  std::vector<AttackerSpec> attackers;
  RetrainSpec retrain;
  GuardSpec guard;
  SanitizeSpec sanitize;
  GateSpec gate;
  EvaluationSpec evaluation;
  TraceSpec trace;
  std::string resolved_yaml;  // every key with its value in force, defaults included
  // The `sweep:` block's axes (`poisonsim sweep` runs them; `run` ignores them). Not part of
  // resolved_yaml: each run of a sweep is an ordinary scenario.
  std::vector<SweepAxis> sweep;
};

// Reads and validates a scenario. `overrides` are "key.path=value" strings (--set) applied
// before validation. Throws UserError naming file, line, column and key.
// The text of a scenario file; UserError naming it when it is missing, a directory or over 1 MiB.
std::string read_scenario_text(const std::string& path);

Scenario load_scenario(const std::string& path, const std::vector<std::string>& overrides,
                       const PluginRegistry& plugins);
Scenario parse_scenario(const std::string& text, const std::string& file,
                        const std::vector<std::string>& overrides, const PluginRegistry& plugins);

}  // namespace poisonsim
