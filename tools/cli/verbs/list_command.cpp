// `poisonsim list`: every registered attacker, guard stage, window sanitizer and gate type, with
// its one-line summary and its own keys, straight from the registries (tools/common/
// builtin_plugins.cpp), so it cannot fall behind the code.
#include <memory>

#include <fmt/format.h>

#include "tools/cli/commands.h"
#include "tools/cli/verb_table.h"
#include "tools/common/builtin_plugins.h"

namespace poisonsim::cli {
namespace {

template <class Parser>
void print_block(const char* title, const char* where, const Registry<Parser>& registry) {
  fmt::print("{} ({})\n", title, where);
  for (const auto& [type, entry] : registry.entries()) {
    fmt::print("  {}: {}\n", type, entry.summary);
    fmt::print("    keys: {}\n",
               entry.keys.empty() ? "none" : fmt::format("{}", fmt::join(entry.keys, ", ")));
  }
}

void run_list(const GlobalOptions& global) {
  apply_global_options(global);
  const PluginRegistry& plugins = builtin_plugins();
  print_block("attackers", "attackers: [{type: T, ...}], beside the keys every attacker has",
              plugins.attackers);
  print_block("guards", "guard: {type: T, ...}, or a list of stages", plugins.guards);
  print_block("sanitizers", "sanitize: [{type: T, ...}]", plugins.sanitizers);
  print_block("gates", "gate: {type: T, ...}", plugins.gates);
}

}  // namespace

void add_list_command(CLI::App& app, const GlobalOptions& global) {
  auto* cmd = app.add_subcommand("list", verb_summary("list"));
  cmd->callback([&global] { run_list(global); });
}

}  // namespace poisonsim::cli
