#include "pipeline/scenario/accumulate_spec.h"

#include <fmt/format.h>

#include "pipeline/scenario/config_node.h"
#include "pipeline/scenario/scenario.h"

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

// The accumulative attacker plans each window's dose itself, against the model it knows is
// deployed: it cannot share its arrivals with another schedule, nor plan on a stale model.
void check_accumulate(const ConfigNode& node, const AttackerSpec& a) {
  const auto conflict = [&](const std::string& key, const std::string& why) {
    node.fail("accumulate", fmt::format("cannot be combined with {} ({})", key, why));
  };
  if (a.timing != AttackTiming::uniform)
    conflict("timing " + attack_timing_names().name(a.timing), "it chooses its own doses");
  if (a.budget_per_window) conflict("budget_per_window", "it chooses its own doses");
  if (a.generate_ahead > 0) conflict("generate_ahead", "it makes each window's poison at once");
  if (a.knowledge.kind != KnowledgeKind::current)
    conflict("knowledge.model " + knowledge_kind_names().name(a.knowledge.kind),
             "it plans on the deployed model and sees the gate's refusals by its version");
}

}  // namespace poisonsim
