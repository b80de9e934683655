#pragma once
#include "pipeline/plugins/registry.h"

namespace poisonsim {

// Adds every guard and gate of this folder to the registry under its scenario `type:` name.
void register_guards(PluginRegistry& registry);

}  // namespace poisonsim
