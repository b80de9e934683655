#pragma once
// The generative method (Algorithm 2 of Yang et al. 2017): an auto-encoder G maps a clean sample
// to a poisoned one, x_p = G(x). G is trained once against the target (the target plays the
// discriminator); after that, poison costs one forward pass of G per sample. The update rules
// are described in docs/attacks.md, "Generative method".
#include <cstdint>
#include <memory>
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

enum class GenerativeRule {
  // The paper's reading: G ascends the target copy's cross-entropy on (G(x), y_p); the copy is
  // stepped on G's detached output. First-order only.
  first_order,
  // G is trained by backprop of the clean-validation loss through `unroll_steps` differentiable
  // SGD steps of the target copy on G's output (second derivatives in G's training).
  unrolled,
};

// "first-order", "unrolled"; UserError naming `where` otherwise.
const EnumNames<GenerativeRule>& generative_rule_names();  // the names scenarios use
GenerativeRule parse_generative_rule(const std::string& text, const std::string& where);
std::string to_string(GenerativeRule rule);

// What G's first-order update pushes the target copy towards.
enum class FirstOrderObjective {
  ascend_loss,  // up the cross-entropy on (G(x), y_p): the paper's reading
  next_class,   // down the cross-entropy on (G(x), (y_p + 1) mod K): x_p looks like another class
};

// "ascend-loss", "next-class"; UserError naming `where` otherwise.
const EnumNames<FirstOrderObjective>& first_order_objective_names();  // the names scenarios use
FirstOrderObjective parse_first_order_objective(const std::string& text, const std::string& where);
std::string to_string(FirstOrderObjective objective);

enum class GeneratorKind {
  automatic,  // mlp for grey images, conv for colour images whose sides halve evenly
  mlp,        // flatten, Linear+ReLU encoder, code, Linear+ReLU decoder, sigmoid output
  conv,       // stride-2 conv+ReLU down, transposed conv up, sigmoid output
};

// "auto", "mlp", "conv"; UserError naming `where` otherwise.
const EnumNames<GeneratorKind>& generator_kind_names();  // the names scenarios use
GeneratorKind parse_generator_kind(const std::string& text, const std::string& where);
std::string to_string(GeneratorKind kind);

struct GeneratorSpec {
  GeneratorKind kind = GeneratorKind::automatic;
  std::vector<int64_t> encoder{256};           // mlp hidden widths before the code
  int64_t code = 64;                           // mlp code width
  std::vector<int64_t> decoder{256};           // mlp hidden widths after the code
  std::vector<int64_t> conv_channels{32, 64};  // conv: channels after each stride-2 level
  // 0 (the paper's auto-encoder): G outputs the poisoned image. r > 0: G outputs a bounded
  // change to its seed, x_p = clip(x + r * tanh(.), 0, 1), at most r per pixel, so its output
  // keeps the seeds' variety and cannot collapse onto a few images.
  double residual = 0;
};

struct GenerativeOptions {
  GenerativeRule rule = GenerativeRule::unrolled;
  FirstOrderObjective first_order_objective = FirstOrderObjective::ascend_loss;
  GeneratorSpec generator;
  double lr = 1e-3;          // Adam learning rate of G
  int64_t steps = 300;       // G updates per training
  int64_t batch_size = 128;  // seeds per G update
  // Unrolled: SGD steps of the copy that G's gradient goes through (a window); a batch with more
  // chunks than that is split into several windows (truncated backprop).
  int64_t unroll_steps = 4;
  int64_t unroll_chunk = 32;  // samples per simulated SGD step of the copy (the victim's batch)
  // How long the target copy may drift from the original before it is reset: unrolled resets it
  // every N G steps, first-order after N steps without a new best reward. Short lives keep the
  // copy close to the model the victim starts from (docs/attacks.md has the measurements).
  int64_t copy_reset_every = 8;
  int64_t reset_patience = 1;
  int64_t select_every = 25;      // measure real damage every N steps and keep the best G (0: off)
  int64_t select_samples = 1000;  // fixed seed set for damage and spread measurements
  int64_t validation_samples = 1000;  // clean-validation subset of the objective (all if fewer)
  // Weight of the per-pixel mean (G(x) - x)^2 in G's loss. It keeps G's output tied to its input:
  // without it G collapses to nearly one image and does far less damage (docs/attacks.md).
  double identity_weight = 3;
  // Weight of the diversity hinge relu(diversity_target - spread(G(x)) / spread(x)) in G's loss
  // (spread: mean pairwise L2 over the batch; 0: off). It keeps G from collapsing onto a few
  // images without tying each output to its seed (docs/attacks.md, "Generator diversity").
  double diversity_weight = 0;
  double diversity_target = 0.6;
  PoisonLabels labels = PoisonLabels::seed;
  // paper (default): the copy's simulated steps train on G's output alone. victim-aware: each
  // step's mini-batch mixes G's output with fresh clean samples from the attacker's pool at
  // victim.poison_share, as the continually retrained victim's batches do, and checkpoints are
  // chosen by the damage of such a mixed retraining (attackers/common/victim_retraining.h).
  VictimRetraining victim;
  // With problem.loss_cap (the guard-aware option): weight of mean(relu(CE(model; G(x), y_p) -
  // cap)) in G's loss, so G learns to stay under the cap; checkpoint selection then measures the
  // damage of G's output projected under the cap, as it will be sent.
  double cap_penalty = 1.0;
};

// The `generative` attacker's keys (but `evade`, `retrain_lr`, `refresh_every`), read and
// range-checked (errors name the key path and line): attackers/generative/generative_options.cpp.
GenerativeOptions read_generative_options(ConfigNode& node);

struct GenerativeReport {
  double train_seconds = 0;
  int64_t steps = 0;
  // The clean-validation loss of the target copy after each step's simulated update.
  std::vector<double> reward_by_step;
  int64_t copy_resets = 0;
  // Real damage measurements: validation accuracy of the original model retrained (SGD
  // retrain_lr, batch 32, one epoch) on G's output for the fixed select set, at these steps.
  std::vector<int64_t> select_steps;
  std::vector<double> select_accuracy;
  double base_accuracy = 0;      // the original model on the validation subset
  int64_t selected_step = -1;    // the checkpoint kept (-1: no selection, the last G is kept)
  double selected_accuracy = 0;  // its measured accuracy after retraining
  double selected_damage = 0;    // base_accuracy - selected_accuracy
  PoisonStats spread;            // G's output vs its seeds on the select set (collapse check)
};

// G's weights as a fresh GenerativeAttack::train builds them from `seed` (its stream's first
// draw), in layer order (weight, bias), with the kind `automatic` resolves to for `input`: what
// the PyTorch reference of `bench attacks --reference` starts from.
struct GeneratorWeights {
  GeneratorKind kind = GeneratorKind::mlp;
  ModelWeights weights;
};
GeneratorWeights initial_generator_weights(const GeneratorSpec& spec, const ImageShape& input,
                                           uint64_t seed);

// The trained generator. Training reads the model only; it is never modified.
class GenerativeAttack {
 public:
  GenerativeAttack();
  GenerativeAttack(GenerativeAttack&&) noexcept;
  GenerativeAttack& operator=(GenerativeAttack&&) noexcept;
  ~GenerativeAttack();

  // Trains G against `problem` on seeds from `seed_pool`. A first call builds G from `rng`; a
  // later call continues from the current G (a refresh after the target changed) with a fresh
  // optimiser. Throws UserError for a TorchScript target, a data set that does not fit the
  // model, or an empty pool or validation set. `progress` advances by one per G step.
  void train(const AttackProblem& problem, const Dataset& seed_pool,
             const GenerativeOptions& options, RandomStream& rng,
             GenerativeReport* report = nullptr, Progress* progress = nullptr);

  // One forward pass of G per seed, without gradients; labels by options.labels (`rng` drives
  // random-other). std::logic_error before train().
  PoisonBatch generate(const Dataset& seeds, RandomStream& rng) const;

  bool trained() const;

  // Checkpoints: G's input shape and weights (nothing before the first train()). load_state()
  // rebuilds G with `generator`, the spec it was trained with.
  void save_state(StateOut& out) const;
  void load_state(StateIn& in, const GeneratorSpec& generator, PoisonLabels labels);

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

// Scenario type "generative": trains G at the first generate() call against the model the
// attacker knows (seeds from its clean pool, its validation data as the objective), and trains
// it again, continuing from the current G, once the model version has advanced by at least
// `refresh_every` since (0: never). With `evade`, G is trained with the cap in force at training
// time and every batch is projected under the cap in force when it is generated.
class GenerativeAttacker : public PoisonGenerator {
 public:
  GenerativeAttacker(GenerativeOptions options, double retrain_lr, int64_t refresh_every,
                     std::optional<EvasionOptions> evade = std::nullopt)
      : options_(options), retrain_lr_(retrain_lr), refresh_every_(refresh_every) {
    if (evade) evasion_.emplace(*evade);
  }
  PoisonBatch generate(AttackContext& context, int64_t count) override;

  const GenerativeOptions& options() const { return options_; }
  double retrain_lr() const { return retrain_lr_; }
  bool evades() const { return evasion_.has_value(); }
  int64_t trainings() const { return trainings_; }
  const GenerativeReport& last_report() const { return last_report_; }
  const std::optional<GuardEvasion>& evasion() const { return evasion_; }
  void save_state(StateOut& out) const override;
  void load_state(StateIn& in) override;

 private:
  GenerativeOptions options_;
  double retrain_lr_;
  int64_t refresh_every_;
  GenerativeAttack attack_;
  int64_t trained_version_ = 0;
  int64_t trainings_ = 0;
  GenerativeReport last_report_;
  std::optional<GuardEvasion> evasion_;
};

}  // namespace poisonsim
