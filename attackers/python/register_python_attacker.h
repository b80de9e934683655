#pragma once
// Registers the `type: python` attacker. The interpreter starts only when a scenario names one
// (its parser runs), so other runs pay nothing for Python.
#include "pipeline/plugins/registry.h"

namespace poisonsim {

void register_python_attacker(PluginRegistry& registry);

}  // namespace poisonsim
