#include "attackers/register_attackers.h"

#include "attackers/label_flip.h"
#include "pipeline/scenario/config_node.h"

namespace poisonsim {

void register_attackers(PluginRegistry& registry) {
  registry.attackers.add(
      "label-flip", "clean images from the attacker's pool with wrong labels (`labels`)",
      [](ConfigNode& node) {
        const auto rule = parse_poison_labels(
            node.get<std::string>("labels", "next-class", one_of({"next-class", "random-other"})),
            node.key_path("labels"));
        return PoisonGeneratorFactory([rule] { return std::make_unique<LabelFlipAttacker>(rule); });
      });
}

}  // namespace poisonsim
