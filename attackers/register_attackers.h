#pragma once
#include "pipeline/plugins/registry.h"

namespace poisonsim {

// Adds every attacker of this folder to the registry under its scenario `type:` name.
void register_attackers(PluginRegistry& registry);

}  // namespace poisonsim
