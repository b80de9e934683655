#include "tools/common/builtin_plugins.h"

#include "attackers/python/register_python_attacker.h"
#include "attackers/register_attackers.h"
#include "guards/register_guards.h"

namespace poisonsim::cli {

const PluginRegistry& builtin_plugins() {
  static const PluginRegistry registry = [] {
    PluginRegistry r;
    register_attackers(r);
    register_python_attacker(r);  // above poisonsim_attackers (attackers/python/CMakeLists.txt)
    register_guards(r);
    return r;
  }();
  return registry;
}

}  // namespace poisonsim::cli
