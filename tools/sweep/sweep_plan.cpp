#include "tools/sweep/sweep_plan.h"

#include <fmt/format.h>

#include "pipeline/scenario/scenario.h"
#include "sim/util/error.h"

namespace poisonsim {

namespace {

// `--seeds N`: the seed axis replaces the block's in place (so the grid keeps its order), or comes
// last, so that the runs of one cell are neighbours.
void apply_seed_option(std::vector<SweepAxis>& axes, const std::vector<SweepAxis>& from_options,
                       uint64_t base_seed, int64_t seeds) {
  const std::string where = fmt::format("--seeds {}", seeds);
  for (const auto& option : from_options)
    if (option.path == kSeedKeyPath)
      throw UserError(
          where, fmt::format("the seeds are also given by {}: use one of the two", option.where));
  SweepAxis axis = seed_axis(base_seed, parse_seed_count(std::to_string(seeds), where), where);
  for (auto& existing : axes) {
    if (existing.path == axis.path) {
      existing = std::move(axis);
      return;
    }
  }
  axes.push_back(std::move(axis));
}

// The plan applies each axis's value as a --set override, so an error about it names
// "--set <path>": name the axis's own origin instead (--param ..., or the sweep block's line),
// which is what the user wrote. Other errors are left as they are.
std::string blame_axis(const std::string& where, const std::vector<SweepAxis>& axes) {
  for (const auto& axis : axes) {
    const std::string as_set = "--set " + axis.path;
    const size_t at = where.find(as_set);
    const size_t end = at + as_set.size();
    if (at != std::string::npos && (end == where.size() || where[end] == '=')) return axis.where;
  }
  return where;
}

}  // namespace

SweepPlan plan_sweep(const std::string& scenario_path, const std::vector<std::string>& params,
                     const std::vector<std::string>& overrides, const PluginRegistry& plugins,
                     int64_t seeds) {
  return plan_sweep_text(read_scenario_text(scenario_path), scenario_path, params, overrides,
                         plugins, seeds);
}

SweepPlan plan_sweep_text(const std::string& scenario_text, const std::string& scenario_path,
                          const std::vector<std::string>& params,
                          const std::vector<std::string>& overrides, const PluginRegistry& plugins,
                          int64_t seeds) {
  SweepPlan plan;
  plan.scenario_path = scenario_path;
  plan.scenario_text = scenario_text;
  plan.seeds = seeds;
  plan.overrides = overrides;
  const Scenario base = parse_scenario(plan.scenario_text, scenario_path, overrides, plugins);
  std::vector<SweepAxis> from_options;
  for (const auto& param : params) from_options.push_back(parse_sweep_param(param));
  plan.axes = merge_sweep_axes(base.sweep, from_options);
  if (seeds != 0) apply_seed_option(plan.axes, from_options, base.seed, seeds);
  if (plan.axes.empty())
    throw UserError(scenario_path,
                    "nothing to sweep: give --param key.path=values or a `sweep:` "
                    "block in the scenario (docs/scenario.md)");
  const size_t count = sweep_grid_size(plan.axes, kMaxSweepRuns);

  for (size_t id = 0; id < count; ++id) {
    SweepRunSpec run;
    run.id = static_cast<int64_t>(id);
    run.overrides = overrides;
    size_t rest = id;
    run.values.resize(plan.axes.size());
    for (size_t a = plan.axes.size(); a-- > 0;) {  // the last axis varies fastest
      const auto& axis = plan.axes[a];
      run.values[a] = axis.values[rest % axis.values.size()];
      rest /= axis.values.size();
    }
    std::vector<std::string> labels;
    for (size_t a = 0; a < plan.axes.size(); ++a) {
      run.overrides.push_back(plan.axes[a].path + "=" + run.values[a]);
      labels.push_back(plan.axes[a].path + "=" + run.values[a]);
    }
    try {
      const Scenario scenario =
          parse_scenario(plan.scenario_text, scenario_path, run.overrides, plugins);
      run.resolved_yaml = scenario.resolved_yaml;
      run.train_threads = scenario.train_threads;
    } catch (const UserError& e) {
      throw UserError(
          blame_axis(e.where(), plan.axes),
          fmt::format("{} (in sweep run {}: {})", e.problem(), id, fmt::join(labels, ", ")));
    }
    plan.runs.push_back(std::move(run));
  }
  return plan;
}

std::string SweepShard::label() const { return fmt::format("shard {}/{}", index, count); }

SweepShard parse_sweep_shard(const std::string& text) {
  const auto bad = [&](const std::string& problem) {
    return UserError("--shard " + text, problem +
                                            " (expected i/N with 0 <= i < N, e.g. 0/4: "
                                            "shard i runs the run ids with id % N == i)");
  };
  const auto slash = text.find('/');
  if (slash == std::string::npos) throw bad("no '/'");
  const auto integer = [&](const std::string& part) {
    if (part.empty() || part.size() > 9 ||
        part.find_first_not_of("0123456789") != std::string::npos)
      throw bad("'" + part + "' is not a whole number");
    return static_cast<int64_t>(std::stoll(part));
  };
  SweepShard shard;
  shard.index = integer(text.substr(0, slash));
  shard.count = integer(text.substr(slash + 1));
  if (shard.count < 1) throw bad("N must be at least 1");
  if (shard.index >= shard.count) throw bad("i must be below N");
  return shard;
}

}  // namespace poisonsim
