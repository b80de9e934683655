#include "tools/common/builtin_plugins.h"

#include "attackers/register_attackers.h"
#include "guards/register_guards.h"

namespace poisonsim::cli {

const PluginRegistry& builtin_plugins() {
  static const PluginRegistry registry = [] {
    PluginRegistry r;
    register_attackers(r);
    register_guards(r);
    return r;
  }();
  return registry;
}

}  // namespace poisonsim::cli
