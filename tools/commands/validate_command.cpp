// `poisonsim validate`: check a scenario without running it; optionally print it resolved.
#include <memory>

#include <fmt/format.h>

#include "pipeline/scenario/scenario.h"
#include "tools/commands/builtin_plugins.h"
#include "tools/commands/commands.h"

namespace poisonsim::cli {
namespace {

struct ValidateOptions {
  std::string scenario;
  std::vector<std::string> overrides;
  bool print = false;
};

void run_validate(const ValidateOptions& o, const GlobalOptions& global) {
  apply_global_options(global);
  const auto s = load_scenario(o.scenario, o.overrides, builtin_plugins());
  if (o.print) {
    fmt::print("{}", s.resolved_yaml);
    return;
  }
  fmt::print("{}: valid ({} s simulated, {} stream{}, {} attacker{}, guard {}, gate {})\n",
             o.scenario, s.duration, s.streams.size(), s.streams.size() == 1 ? "" : "s",
             s.attackers.size(), s.attackers.size() == 1 ? "" : "s", s.guard.type, s.gate.type);
}

}  // namespace

void add_validate_command(CLI::App& app, const GlobalOptions& global) {
  auto o = std::make_shared<ValidateOptions>();
  auto* cmd = app.add_subcommand("validate", "Check a scenario file without running it");
  cmd->add_option("scenario", o->scenario, "Scenario YAML file")->required();
  cmd->add_option("--set", o->overrides, "Override a value: key.path=value (repeatable)")
      ->allow_extra_args(false);
  cmd->add_flag("--print", o->print, "Print the fully resolved scenario (all defaults filled in)");
  cmd->callback([o, &global] { run_validate(*o, global); });
}

}  // namespace poisonsim::cli
