#pragma once
// The runs of a sweep: the cartesian product of its axes over a base scenario, each run checked
// like `poisonsim run` would check it, before anything runs.
#include <cstdint>
#include <string>
#include <vector>

#include "pipeline/scenario/sweep_axes.h"
#include "pipeline/plugins/registry.h"

namespace poisonsim {

struct SweepRunSpec {
  int64_t id = 0;                      // position in the grid: the first axis varies slowest
  std::vector<std::string> values;     // one per axis
  std::vector<std::string> overrides;  // base --set overrides, then path=value per axis
  std::string resolved_yaml;           // the run's scenario with every value in force
  int64_t train_threads = 1;
};

struct SweepPlan {
  std::string scenario_path;
  std::string scenario_text;
  std::vector<SweepAxis> axes;
  std::vector<std::string> overrides;  // the --set overrides common to every run
  std::vector<SweepRunSpec> runs;
  int64_t seeds = 0;  // `--seeds N` as given (0: not given), for the parts' manifest
};

constexpr size_t kMaxSweepRuns = 100000;

// `--shard i/N`: shard i (0 <= i < N) runs the run ids with id % N == i. Round robin rather than
// blocks, so each shard gets a similar mix of the grid (cost often grows along one axis).
struct SweepShard {
  int64_t index = 0;
  int64_t count = 0;  // 0: no sharding, every run
  bool active() const { return count > 0; }
  bool owns(int64_t run) const { return !active() || run % count == index; }
  std::string label() const;  // "shard i/N"
};

// Parses "i/N"; UserError naming --shard otherwise.
SweepShard parse_sweep_shard(const std::string& text);

// Reads the scenario, merges its sweep block with `params` ("path=values") and validates every
// run. `seeds` > 0 (`--seeds N`) makes the `seed` axis N seeds from the scenario's seed (after
// `overrides`), replacing the block's `seed` or `seeds` axis in place, else appended last; a
// `--param seed=...` as well is a UserError. UserError naming the file, the parameter or the
// run's values when anything is wrong.
SweepPlan plan_sweep(const std::string& scenario_path, const std::vector<std::string>& params,
                     const std::vector<std::string>& overrides, const PluginRegistry& plugins,
                     int64_t seeds = 0);
// The same from the scenario's text (`poisonsim merge` plans again from the parts' manifest).
SweepPlan plan_sweep_text(const std::string& scenario_text, const std::string& scenario_path,
                          const std::vector<std::string>& params,
                          const std::vector<std::string>& overrides, const PluginRegistry& plugins,
                          int64_t seeds = 0);

}  // namespace poisonsim
