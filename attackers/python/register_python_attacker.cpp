#include "attackers/python/register_python_attacker.h"

#include "attackers/python/python_attacker.h"
#include "pipeline/scenario/config_node.h"

namespace poisonsim {

void register_python_attacker(PluginRegistry& registry) {
  // Beside file, class and sha256, every key of the block other than the keys every attacker
  // has goes to the class's constructor as a dict (docs/plugins.md).
  registry.attackers.add(
      "python",
      "your own poison generator: class `class` of the Python file `file`, generate(request) "
      "once per poison batch returns (images, labels); other keys go to its constructor "
      "(docs/plugins.md)",
      {"file", "class", "sha256"}, [](ConfigNode& node, const PoisonShape& shape) {
        const auto spec = python::read_plugin_spec(node, "attacker", {"generate"});
        return PoisonGeneratorFactory(
            [spec, shape] { return std::make_unique<python::PythonAttacker>(spec, shape); });
      });
}

}  // namespace poisonsim
