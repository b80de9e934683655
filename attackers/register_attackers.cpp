#include "attackers/register_attackers.h"

#include <optional>

#include <fmt/format.h>

#include "attackers/direct/direct_gradient.h"
#include "attackers/common/evasion.h"
#include "attackers/generative/generative_attack.h"
#include "attackers/baselines/label_flip.h"
#include "attackers/baselines/random_noise.h"
#include "pipeline/scenario/config_node.h"
#include "pipeline/scenario/sweep_axes.h"

namespace poisonsim {
namespace {

// The guard-aware option, `evade` (attackers/common/evasion.h). Absent: none, and nothing is added to
// the resolved scenario, so scenarios without it resolve and run exactly as before. `penalty`
// (the generator's hinge weight) is read only when given somewhere to put it.
std::optional<EvasionOptions> read_evade(ConfigNode& node, double* penalty = nullptr) {
  if (!node.has("evade")) return std::nullopt;
  auto evade = node.child("evade");
  EvasionOptions o;
  const auto threshold = evade.get<std::string>("threshold", "known");
  if (threshold == "known") {
    o.source = ThresholdSource::known;
  } else if (threshold == "estimate") {
    o.source = ThresholdSource::estimate;
  } else {
    const auto assumed = parse_finite_number(threshold);
    if (!assumed || !(*assumed > 0))
      evade.fail("threshold",
                 fmt::format("expected known, estimate or a positive number, got '{}'", threshold));
    o.source = ThresholdSource::assumed;
    o.assumed = *assumed;
  }
  o.margin = evade.get<double>("margin", o.margin, in_range(-1000, 1000));
  o.initial = evade.get<double>("initial", o.initial, greater_than(0));
  if (penalty) *penalty = evade.get<double>("penalty", *penalty, in_range(0, 1e6));
  evade.finish();
  return o;
}

// The objective both optimising methods share (attackers/common/victim_retraining.h): `objective`
// (paper or victim-aware) and `poison_share`, the share of poison in the victim's mini-batches
// the attacker expects.
VictimRetraining read_victim(ConfigNode& node) {
  VictimRetraining victim;
  victim.objective = parse_attack_objective(
      node.get<std::string>("objective", "paper", one_of({"paper", "victim-aware"})),
      node.key_path("objective"));
  victim.poison_share = node.get<double>("poison_share", victim.poison_share, in_range(1e-6, 1));
  return victim;
}

}  // namespace

void register_attackers(PluginRegistry& registry) {
  registry.attackers.add(
      "direct",
      "gradient ascent on the poison pixels through the victim's SGD update (Algorithm 1)",
      [](ConfigNode& node) {
        DirectOptions o;
        o.group_size = node.get<int64_t>("group_size", o.group_size, int_in_range(1, 100000));
        o.iterations = node.get<int64_t>("iterations", o.iterations, int_in_range(0, 100000));
        o.step_size = node.get<double>("step_size", o.step_size, greater_than(0));
        o.tolerance = node.get<double>("tolerance", o.tolerance, at_least(0));
        o.unroll_steps = node.get<int64_t>("unroll_steps", o.unroll_steps, int_in_range(1, 1000));
        o.validation_samples =
            node.get<int64_t>("validation_samples", o.validation_samples, int_at_least(1));
        o.project = node.get<bool>("project", o.project);
        o.labels = parse_poison_labels(
            node.get<std::string>("labels", "seed",
                                  one_of({"seed", "next-class", "random-other", "objective"})),
            node.key_path("labels"));
        o.engine = parse_direct_engine(
            node.get<std::string>("engine", "auto", one_of({"auto", "factored", "autograd"})),
            node.key_path("engine"));
        o.victim = read_victim(node);
        o.victim.recovery_steps =
            node.get<int64_t>("recovery_steps", o.victim.recovery_steps, int_in_range(0, 100000));
        if (o.engine == DirectEngine::factored && !factored_settings_conflict(o).empty())
          node.fail("engine", factored_settings_conflict(o));
        const double retrain_lr = node.get<double>("retrain_lr", 0.1, greater_than(0));
        const auto evade = read_evade(node);
        return PoisonGeneratorFactory([o, retrain_lr, evade] {
          return std::make_unique<DirectGradientAttacker>(o, retrain_lr, evade);
        });
      });
  registry.attackers.add(
      "generative",
      "an auto-encoder G trained against the target, then one forward pass per poison sample "
      "(Algorithm 2)",
      [](ConfigNode& node) {
        GenerativeOptions o;
        o.rule = parse_generative_rule(
            node.get<std::string>("rule", "unrolled", one_of({"first-order", "unrolled"})),
            node.key_path("rule"));
        o.first_order_objective = parse_first_order_objective(
            node.get<std::string>("first_order_objective", "ascend-loss",
                                  one_of({"ascend-loss", "next-class"})),
            node.key_path("first_order_objective"));
        auto& g = o.generator;
        g.kind = parse_generator_kind(
            node.get<std::string>("generator", "auto", one_of({"auto", "mlp", "conv"})),
            node.key_path("generator"));
        g.encoder = node.get_list<int64_t>("encoder_widths", g.encoder, int_in_range(1, 65536));
        g.code = node.get<int64_t>("code_width", g.code, int_in_range(1, 65536));
        g.decoder = node.get_list<int64_t>("decoder_widths", g.decoder, int_in_range(1, 65536));
        g.conv_channels =
            node.get_list<int64_t>("conv_channels", g.conv_channels, int_in_range(1, 4096));
        if (g.conv_channels.empty() || g.conv_channels.size() > 5)
          node.fail("conv_channels", "expected 1 to 5 channel counts");
        o.lr = node.get<double>("lr", o.lr, in_range(1e-9, 10));
        o.steps = node.get<int64_t>("steps", o.steps, int_in_range(1, 1000000));
        o.batch_size = node.get<int64_t>("batch_size", o.batch_size, int_in_range(1, 65536));
        o.unroll_steps = node.get<int64_t>("unroll_steps", o.unroll_steps, int_in_range(1, 64));
        o.unroll_chunk = node.get<int64_t>("unroll_chunk", o.unroll_chunk, int_in_range(1, 65536));
        o.copy_reset_every =
            node.get<int64_t>("copy_reset_every", o.copy_reset_every, int_at_least(1));
        o.reset_patience = node.get<int64_t>("reset_patience", o.reset_patience, int_at_least(1));
        o.select_every = node.get<int64_t>("select_every", o.select_every, int_at_least(0));
        o.select_samples =
            node.get<int64_t>("select_samples", o.select_samples, int_in_range(1, 1000000));
        o.validation_samples =
            node.get<int64_t>("validation_samples", o.validation_samples, int_at_least(1));
        o.identity_weight =
            node.get<double>("identity_weight", o.identity_weight, in_range(0, 1e6));
        o.labels = parse_poison_labels(
            node.get<std::string>("labels", "seed", one_of({"seed", "next-class", "random-other"})),
            node.key_path("labels"));
        g.residual = node.get<double>("residual", g.residual, in_range(0, 1));
        o.diversity_weight =
            node.get<double>("diversity_weight", o.diversity_weight, in_range(0, 1e6));
        o.diversity_target =
            node.get<double>("diversity_target", o.diversity_target, in_range(1e-6, 2));
        o.victim = read_victim(node);
        const double retrain_lr = node.get<double>("retrain_lr", 0.1, greater_than(0));
        const int64_t refresh_every = node.get<int64_t>("refresh_every", 1, int_at_least(0));
        const auto evade = read_evade(node, &o.cap_penalty);
        return PoisonGeneratorFactory([o, retrain_lr, refresh_every, evade] {
          return std::make_unique<GenerativeAttacker>(o, retrain_lr, refresh_every, evade);
        });
      });
  registry.attackers.add(
      "label-flip", "clean images from the attacker's pool with wrong labels (`labels`)",
      [](ConfigNode& node) {
        const auto rule = parse_poison_labels(
            node.get<std::string>("labels", "next-class", one_of({"next-class", "random-other"})),
            node.key_path("labels"));
        return PoisonGeneratorFactory([rule] { return std::make_unique<LabelFlipAttacker>(rule); });
      });
  registry.attackers.add(
      "noise", "seed images plus Gaussian noise of L2 norm `l2` (the random baseline)",
      [](ConfigNode& node) {
        const double l2 = node.get<double>("l2", 3.0, in_range(0, 1000));
        const auto labels = parse_poison_labels(
            node.get<std::string>("labels", "seed", one_of({"seed", "next-class", "random-other"})),
            node.key_path("labels"));
        const auto evade = read_evade(node);
        return PoisonGeneratorFactory([l2, labels, evade] {
          return std::make_unique<RandomNoiseAttacker>(l2, labels, evade);
        });
      });
}

}  // namespace poisonsim
