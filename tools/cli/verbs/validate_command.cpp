// `poisonsim validate`: check a scenario without running it; optionally print it resolved.
#include <memory>

#include <fmt/format.h>

#include "pipeline/scenario/run_limits.h"
#include "pipeline/scenario/scenario.h"
#include "pipeline/simulation/run_data.h"
#include "tools/cli/commands.h"
#include "tools/cli/console_format.h"
#include "tools/cli/verb_table.h"
#include "tools/common/builtin_plugins.h"

namespace poisonsim::cli {
namespace {

struct ValidateOptions {
  std::string scenario;
  std::vector<std::string> overrides;
  bool print = false;
  bool data = false;
};

// Loading is what a run does first: missing or malformed files and splits that do not fit
// surface here in seconds, before anything long starts.
std::string describe_data(const Scenario& s) {
  const RunData data = load_run_data(s);
  const auto& shape = data.test.shape;
  return fmt::format(
      "data: {} images of {}x{}x{}: pretrain {}, validation {}, attacker {} (+{} validation), "
      "stream pool {}, test {}\n",
      to_string(s.data.kind), shape.channels, shape.height, shape.width, data.pretrain.size(),
      data.validation.size(), data.attacker_pool.size(), data.attacker_validation.size(),
      data.stream_pool.size(), data.test.size());
}

void run_validate(const ValidateOptions& o, const GlobalOptions& global) {
  apply_global_options(global);
  const auto s = load_scenario(o.scenario, o.overrides, builtin_plugins());
  const std::string data = o.data ? describe_data(s) : "";
  if (o.print) {
    fmt::print("{}", s.resolved_yaml);
    return;
  }
  fmt::print("{}: valid ({} s simulated, {} stream{}, {} attacker{}, guard {}, gate {})\n",
             o.scenario, simulated_seconds(s.duration), s.streams.size(),
             s.streams.size() == 1 ? "" : "s", s.attackers.size(),
             s.attackers.size() == 1 ? "" : "s", s.guard.type, s.gate.type);
  const auto memory = estimate_memory(s);
  std::string source;
  const double limit = memory_limit(source);
  fmt::print("memory: about {} at the peak (estimate; the limit is {}, {})\n",
             format_bytes(memory.total), format_bytes(limit), source);
  fmt::print("{}", data);
}

}  // namespace

void add_validate_command(CLI::App& app, const GlobalOptions& global) {
  auto o = std::make_shared<ValidateOptions>();
  auto* cmd = app.add_subcommand("validate", verb_summary("validate"));
  cmd->add_option("scenario", o->scenario, "Scenario YAML file")->required();
  cmd->add_option("--set", o->overrides, "Override a value: key.path=value (repeatable)")
      ->allow_extra_args(false);
  cmd->add_flag("--print", o->print, "Print the fully resolved scenario (all defaults filled in)");
  cmd->add_flag("--data", o->data,
                "Also load the data set and split it as a run would (finds missing or bad files)");
  cmd->callback([o, &global] { run_validate(*o, global); });
}

}  // namespace poisonsim::cli
