#pragma once
// Registers the `type: python` guard and sanitizer. The interpreter starts only when a scenario
// names one of them (its parser runs), so other runs pay nothing for Python.
#include "pipeline/plugins/registry.h"

namespace poisonsim {

void register_python_stages(PluginRegistry& registry);

}  // namespace poisonsim
