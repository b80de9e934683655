// The `generative` attacker's scenario keys: the one place GenerativeOptions meets the YAML
// (docs/attacks.md documents each key).
#include "attackers/generative/generative_attack.h"
#include "pipeline/scenario/config_node.h"

namespace poisonsim {

GenerativeOptions read_generative_options(ConfigNode& node) {
  GenerativeOptions o;
  o.rule = node.get_enum("rule", o.rule, generative_rule_names());
  o.first_order_objective = node.get_enum("first_order_objective", o.first_order_objective,
                                          first_order_objective_names());
  auto& g = o.generator;
  g.kind = node.get_enum("generator", g.kind, generator_kind_names());
  g.encoder = node.get_list<int64_t>("encoder_widths", g.encoder, int_in_range(1, 65536));
  g.code = node.get<int64_t>("code_width", g.code, int_in_range(1, 65536));
  g.decoder = node.get_list<int64_t>("decoder_widths", g.decoder, int_in_range(1, 65536));
  g.conv_channels = node.get_list<int64_t>("conv_channels", g.conv_channels, int_in_range(1, 4096));
  if (g.conv_channels.empty() || g.conv_channels.size() > 5)
    node.fail("conv_channels", "expected 1 to 5 channel counts");
  o.lr = node.get<double>("lr", o.lr, in_range(1e-9, 10));
  o.steps = node.get<int64_t>("steps", o.steps, int_in_range(1, 1000000));
  o.batch_size = node.get<int64_t>("batch_size", o.batch_size, int_in_range(1, 65536));
  o.unroll_steps = node.get<int64_t>("unroll_steps", o.unroll_steps, int_in_range(1, 64));
  o.unroll_chunk = node.get<int64_t>("unroll_chunk", o.unroll_chunk, int_in_range(1, 65536));
  o.copy_reset_every = node.get<int64_t>("copy_reset_every", o.copy_reset_every, int_at_least(1));
  o.reset_patience = node.get<int64_t>("reset_patience", o.reset_patience, int_at_least(1));
  o.select_every = node.get<int64_t>("select_every", o.select_every, int_at_least(0));
  o.select_samples =
      node.get<int64_t>("select_samples", o.select_samples, int_in_range(1, 1000000));
  o.validation_samples =
      node.get<int64_t>("validation_samples", o.validation_samples, int_at_least(1));
  o.identity_weight = node.get<double>("identity_weight", o.identity_weight, in_range(0, 1e6));
  o.labels =
      node.get_enum("labels", o.labels, poison_label_names(),
                    {PoisonLabels::seed, PoisonLabels::next_class, PoisonLabels::random_other});
  g.residual = node.get<double>("residual", g.residual, in_range(0, 1));
  o.diversity_weight = node.get<double>("diversity_weight", o.diversity_weight, in_range(0, 1e6));
  o.diversity_target = node.get<double>("diversity_target", o.diversity_target, in_range(1e-6, 2));
  o.victim = read_victim_retraining(node);
  return o;
}

}  // namespace poisonsim
