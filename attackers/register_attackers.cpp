#include "attackers/register_attackers.h"

#include "attackers/baselines/label_flip.h"
#include "attackers/baselines/random_noise.h"
#include "attackers/common/evasion.h"
#include "attackers/direct/direct_gradient.h"
#include "attackers/generative/generative_attack.h"
#include "attackers/replay/replay_attacker.h"
#include "pipeline/scenario/config_node.h"
#include "sim/util/error.h"

namespace poisonsim {

void register_attackers(PluginRegistry& registry) {
  registry.attackers.add(
      "direct",
      "gradient ascent on the poison pixels through the victim's SGD update (Algorithm 1)",
      {"group_size", "iterations", "step_size", "tolerance", "unroll_steps", "validation_samples",
       "project", "labels", "retrain_lr", "engine", "objective", "poison_share", "recovery_steps",
       "evade"},
      [](ConfigNode& node, const PoisonShape&) {
        const DirectOptions o = read_direct_options(node);
        const double retrain_lr = node.get<double>("retrain_lr", 0.1, greater_than(0));
        const auto evade = read_evasion_options(node);
        return PoisonGeneratorFactory([o, retrain_lr, evade] {
          return std::make_unique<DirectGradientAttacker>(o, retrain_lr, evade);
        });
      });
  registry.attackers.add(
      "generative",
      "an auto-encoder G trained against the target, then one forward pass per poison sample "
      "(Algorithm 2)",
      {"rule",
       "first_order_objective",
       "generator",
       "encoder_widths",
       "code_width",
       "decoder_widths",
       "conv_channels",
       "lr",
       "steps",
       "batch_size",
       "unroll_steps",
       "unroll_chunk",
       "copy_reset_every",
       "reset_patience",
       "select_every",
       "select_samples",
       "validation_samples",
       "identity_weight",
       "labels",
       "retrain_lr",
       "refresh_every",
       "residual",
       "objective",
       "poison_share",
       "diversity_weight",
       "diversity_target",
       "evade"},
      [](ConfigNode& node, const PoisonShape&) {
        GenerativeOptions o = read_generative_options(node);
        const double retrain_lr = node.get<double>("retrain_lr", 0.1, greater_than(0));
        const int64_t refresh_every = node.get<int64_t>("refresh_every", 1, int_at_least(0));
        const auto evade = read_evasion_options(node, &o.cap_penalty);
        return PoisonGeneratorFactory([o, retrain_lr, refresh_every, evade] {
          return std::make_unique<GenerativeAttacker>(o, retrain_lr, refresh_every, evade);
        });
      });
  registry.attackers.add(
      "label-flip", "clean images from the attacker's pool with wrong labels (`labels`)",
      {"labels", "evade"}, [](ConfigNode& node, const PoisonShape&) {
        const auto rule = node.get_enum("labels", PoisonLabels::next_class, poison_label_names(),
                                        {PoisonLabels::next_class, PoisonLabels::random_other});
        const auto evade = read_evasion_options(node);
        return PoisonGeneratorFactory(
            [rule, evade] { return std::make_unique<LabelFlipAttacker>(rule, evade); });
      });
  registry.attackers.add(
      "noise", "seed images plus Gaussian noise of L2 norm `l2` (the random baseline)",
      {"l2", "labels", "evade"}, [](ConfigNode& node, const PoisonShape&) {
        const double l2 = node.get<double>("l2", 3.0, in_range(0, 1000));
        const auto labels = node.get_enum(
            "labels", PoisonLabels::seed, poison_label_names(),
            {PoisonLabels::seed, PoisonLabels::next_class, PoisonLabels::random_other});
        const auto evade = read_evasion_options(node);
        return PoisonGeneratorFactory([l2, labels, evade] {
          return std::make_unique<RandomNoiseAttacker>(l2, labels, evade);
        });
      });
  registry.attackers.add(
      "replay",
      "poison read from a file (`file`: a poisonsim poison set, .npz, .npy pair or HDF5), a "
      "batch per arrival in file or shuffled `order`; `at_end`: stop or cycle",
      {"file", "format", "images", "labels", "true_labels", "labels_file", "order", "at_end"},
      [](ConfigNode& node, const PoisonShape& data) {
        ReplayFileOptions o;
        o.file = node.required<std::string>("file");
        o.format = node.get_enum("format", ReplayFormat::automatic, replay_format_names());
        o.images = node.get<std::string>("images", o.images);
        o.labels = node.get<std::string>("labels", o.labels);
        o.true_labels = node.optional<std::string>("true_labels");
        o.labels_file = node.optional<std::string>("labels_file").value_or("");
        const auto order = node.get_enum("order", ReplayOrder::file, replay_order_names());
        const auto at_end = node.get_enum("at_end", ReplayEnd::stop, replay_end_names());
        std::shared_ptr<const ReplaySet> set;
        try {
          set = shared_replay_file(o, data);
        } catch (const UserError& e) {
          node.fail("file", e.where() + ": " + e.problem());
        }
        return PoisonGeneratorFactory(
            [set, order, at_end] { return std::make_unique<ReplayAttacker>(set, order, at_end); });
      });
}

}  // namespace poisonsim
