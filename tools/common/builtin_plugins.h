#pragma once
#include "pipeline/plugins/registry.h"

namespace poisonsim::cli {

// Every attacker, guard and gate type this build knows, by scenario `type:` name.
const PluginRegistry& builtin_plugins();

}  // namespace poisonsim::cli
