#include "pipeline/scenario/accumulate_spec.h"

#include "pipeline/scenario/config_node.h"

namespace poisonsim {

std::optional<AccumulateSpec> read_accumulate(ConfigNode& attacker) {
  if (!attacker.has("accumulate")) return std::nullopt;
  auto node = attacker.child("accumulate");
  AccumulateSpec a;
  a.trigger_at = node.required<double>("trigger_at", at_least(0));
  a.max_loss_increase = node.get<double>("max_loss_increase", a.max_loss_increase,
                                         greater_than(0.0));
  a.max_accuracy_drop = node.optional<double>("max_accuracy_drop", in_range(0, 1));
  a.safety = node.get<double>("safety", a.safety, in_range(0.01, 1));
  a.backoff = node.get<double>("backoff", a.backoff, in_range(0.01, 1));
  a.search_steps = node.get<int64_t>("search_steps", a.search_steps, int_in_range(1, 20));
  a.window_clean = node.optional<int64_t>("window_clean", int_in_range(1, 10000000));
  a.window_poison = node.optional<int64_t>("window_poison", int_in_range(1, 10000000));
  node.finish();
  return a;
}

}  // namespace poisonsim
