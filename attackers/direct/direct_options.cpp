// The `direct` attacker's scenario keys: the one place DirectOptions meets the YAML
// (docs/attacks.md documents each key).
#include "attackers/direct/direct_gradient.h"
#include "pipeline/scenario/config_node.h"

namespace poisonsim {

DirectOptions read_direct_options(ConfigNode& node) {
  DirectOptions o;
  o.group_size = node.get<int64_t>("group_size", o.group_size, int_in_range(1, 100000));
  o.iterations = node.get<int64_t>("iterations", o.iterations, int_in_range(0, 100000));
  o.step_size = node.get<double>("step_size", o.step_size, greater_than(0));
  o.tolerance = node.get<double>("tolerance", o.tolerance, at_least(0));
  o.unroll_steps = node.get<int64_t>("unroll_steps", o.unroll_steps, int_in_range(1, 1000));
  o.validation_samples =
      node.get<int64_t>("validation_samples", o.validation_samples, int_at_least(1));
  o.project = node.get<bool>("project", o.project);
  o.labels = node.get_enum("labels", o.labels, poison_label_names());
  o.engine = node.get_enum("engine", o.engine, direct_engine_names());
  o.victim = read_victim_retraining(node);
  o.victim.recovery_steps =
      node.get<int64_t>("recovery_steps", o.victim.recovery_steps, int_in_range(0, 100000));
  if (o.engine == DirectEngine::factored && !factored_settings_conflict(o).empty())
    node.fail("engine", factored_settings_conflict(o));
  return o;
}

}  // namespace poisonsim
