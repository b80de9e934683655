#pragma once
// The direct gradient method (Algorithm 1 of Yang et al. 2017): gradient ascent on the poison
// pixels themselves, through the victim's simulated SGD update, to maximise the clean-validation
// loss after that update. Exact second order (Hessian-vector products through the update),
// computed by one of two engines: autograd (a double backward through the model's update, any
// native target) or factored (the update's rank-g structure written out by hand, MLP targets).
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "attackers/common/attack_problem.h"
#include "attackers/common/evasion.h"
#include "attackers/common/poison_labels.h"
#include "attackers/common/victim_retraining.h"
#include "pipeline/plugins/attacker.h"
#include "sim/util/enum_names.h"

namespace poisonsim {

class ConfigNode;

class Progress;
class RandomStream;

// How the objective's gradient is computed; both are exact (equal to float rounding).
enum class DirectEngine {
  auto_select,  // factored where the target and settings allow it, else autograd
  factored,     // MLP target, one simulated SGD step per group: O(N_val * width * g) per step
  autograd,     // any native target: a full forward and double backward per step
};
const EnumNames<DirectEngine>& direct_engine_names();  // the names scenarios use
DirectEngine parse_direct_engine(const std::string& text, const std::string& where);
std::string to_string(DirectEngine engine);  // "auto", "factored", "autograd"

struct DirectOptions {
  int64_t group_size = 100;  // poison samples optimised together in one ascent problem
  int64_t iterations = 50;   // ascent steps per group
  // L2 length of each sample's ascent step (per-sample normalised gradient; pixels in [0, 1]).
  // 1.0 did the most damage, or near it, among 0.25-4 on Fashion-MNIST with the default MLP.
  double step_size = 1.0;
  // Stop a group early once one iteration improves the objective by less than this (0: always
  // run all iterations).
  double tolerance = 0;
  // SGD steps of the simulated update the gradient is exact through: the group is split into
  // this many consecutive mini-batches, one step each, i.e. one pass as the victim retrains
  // (at most one step per sample; each sample still moves the weights once).
  int64_t unroll_steps = 1;
  int64_t validation_samples = 1000;  // clean-validation subset in the objective (all if fewer)
  bool project = true;                // clip pixels to [0, 1] after every step
  PoisonLabels labels = PoisonLabels::seed;
  DirectEngine engine = DirectEngine::auto_select;
  // paper (default): the steps train on the poison alone. victim-aware: each of the
  // unroll_steps steps also trains on clean samples of the attacker's pool, in the share
  // victim.poison_share (attackers/common/victim_retraining.h).
  VictimRetraining victim;
};

// The `direct` attacker's keys, read and range-checked (errors name the key path and line). The
// one place these options meet the YAML: attackers/direct/direct_options.cpp.
DirectOptions read_direct_options(ConfigNode& node);

// Why the factored engine cannot compute these settings exactly (it simulates one SGD step per
// group), or empty when it can; the target is checked by factored_engine_applies().
std::string factored_settings_conflict(const DirectOptions& options);

// Whether the factored engine computes this problem exactly: an mlp target, and one simulated
// SGD step per group (unroll_steps 1 or groups of one sample).
bool factored_engine_applies(const DirectOptions& options, const ModelSpec& spec);

// The engine that runs: options.engine, or for auto the factored engine where it applies.
// Throws UserError naming `where`.engine when factored is asked for and does not apply.
DirectEngine resolve_direct_engine(const DirectOptions& options, const ModelSpec& spec,
                                   const std::string& where);

struct DirectReport {
  double seconds = 0;
  DirectEngine engine = DirectEngine::autograd;  // the engine that ran (never auto_select)
  int64_t groups = 0;
  // Mean over groups of the clean-validation loss / accuracy after the simulated update;
  // index 0 is before any ascent, index i after i steps (iterations + 1 entries). A group that
  // stopped early (tolerance) keeps its last value for the remaining entries.
  std::vector<double> objective_by_iteration;
  std::vector<double> accuracy_by_iteration;
  // With problem.loss_cap: samples pulled back under the cap after some ascent step, and those
  // sent as their seed because the seed itself was over it.
  ProjectionCounts capped;
  // labels: objective: how many ascent problems took each labelling (seed, next-class,
  // least-likely), in that order.
  std::vector<int64_t> label_choices;
};

// Turns every seed into a poison sample (same order; labels by options.labels). The model is
// only read. With problem.loss_cap, every ascent step is followed by project_under_cap()
// (projected gradient ascent). `progress`, when given, advances by one per poison sample. Throws
// UserError when the model is a TorchScript target or the seeds do not fit the model's input.
PoisonBatch direct_gradient_attack(const AttackProblem& problem, const Dataset& seeds,
                                   const DirectOptions& options, RandomStream& rng,
                                   DirectReport* report = nullptr, Progress* progress = nullptr);

// Scenario type "direct": seeds from the attacker's clean pool, optimised against the model the
// attacker knows and its own validation data; with `evade`, under the guard-aware cap.
class DirectGradientAttacker : public PoisonGenerator {
 public:
  DirectGradientAttacker(DirectOptions options, double retrain_lr,
                         std::optional<EvasionOptions> evade = std::nullopt)
      : options_(options), retrain_lr_(retrain_lr) {
    if (evade) evasion_.emplace(*evade);
  }
  PoisonBatch generate(AttackContext& context, int64_t count) override;
  const DirectOptions& options() const { return options_; }
  double retrain_lr() const { return retrain_lr_; }
  bool evades() const { return evasion_.has_value(); }
  const DirectReport& last_report() const { return last_report_; }
  const std::optional<GuardEvasion>& evasion() const { return evasion_; }
  void save_state(StateOut& out) const override { save_evasion(out, evasion_); }
  void load_state(StateIn& in) override { load_evasion(in, evasion_); }

 private:
  DirectOptions options_;
  double retrain_lr_;
  DirectReport last_report_;
  std::optional<GuardEvasion> evasion_;
};

}  // namespace poisonsim
