#pragma once
// Reads one attacker block of a scenario the way the scenario parser does, for attack tests.
#include <memory>
#include <string>

#include <yaml-cpp/yaml.h>

#include "attackers/register_attackers.h"
#include "pipeline/scenario/config_node.h"

namespace poisonsim::test {

// Parses `yaml` (a mapping of the type's own keys) as attackers.0 of file s.yaml; throws the
// parser's UserError for a bad key or value.
inline PoisonGeneratorFactory parse_attacker_block(const std::string& type, const std::string& yaml,
                                                   const PoisonShape& data = {}) {
  PluginRegistry registry;
  register_attackers(registry);
  auto source = std::make_shared<ConfigSource>(ConfigSource{"s.yaml", {}});
  ConfigNode node(YAML::Load(yaml), source, "attackers.0", YAML::Node());
  auto factory = registry.attackers.find(type)->parse(node, data);
  node.finish();
  return factory;
}

}  // namespace poisonsim::test
