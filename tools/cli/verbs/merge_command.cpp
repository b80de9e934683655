// `poisonsim merge SWEEP.h5 [PARTS_DIR...]`: the sweep file of a sweep run in shards
// (`poisonsim sweep --shard i/N`), from the parts directories they wrote. The grid is planned
// again from the manifest the shards left (sweep.json), so the file is the one a single process
// would have written: same summary rows, order and values, same runs/<id> groups.
#include <algorithm>
#include <filesystem>
#include <memory>
#include <set>

#include <fmt/format.h>

#include "sim/util/atomic_output.h"
#include "sim/util/error.h"
#include "tools/cli/commands.h"
#include "tools/cli/sweep_report.h"
#include "tools/cli/verb_table.h"
#include "tools/common/builtin_plugins.h"
#include "tools/sweep/sweep_assembly.h"
#include "tools/sweep/sweep_lock.h"
#include "tools/sweep/sweep_parts.h"
#include "tools/sweep/sweep_runner.h"

namespace poisonsim::cli {
namespace {

struct MergeOptions {
  std::string output;
  std::vector<std::string> parts;
  bool force = false;
};

SweepManifest common_manifest(const std::vector<std::string>& dirs) {
  std::optional<SweepManifest> first;
  for (const auto& dir : dirs) {
    std::error_code ec;
    if (!std::filesystem::is_directory(dir, ec))
      throw UserError(dir,
                      "no such directory (expected the parts directory a sweep shard wrote, "
                      "<output>.parts)");
    const auto manifest = read_manifest(dir);
    if (!manifest)
      throw UserError(dir,
                      "is not a sweep's parts directory (no sweep.json): give the "
                      "<output>.parts directories that `poisonsim sweep --shard` wrote");
    if (first && !(*manifest == *first))
      throw UserError(dir,
                      fmt::format("holds parts of another sweep than {} (the scenario, "
                                  "--param, --set or --seeds differ): merge one sweep at a time",
                                  dirs.front()));
    if (!first) first = manifest;
  }
  return *first;
}

std::string list_runs(const std::vector<int64_t>& ids) {
  constexpr size_t kShown = 12;
  std::vector<int64_t> shown(ids.begin(),
                             ids.begin() + static_cast<long>(std::min(ids.size(), kShown)));
  return fmt::format("{}{}", fmt::join(shown, ", "), ids.size() > kShown ? ", ..." : "");
}

void run_merge(const MergeOptions& o, const GlobalOptions& global) {
  apply_global_options(global);
  std::error_code ec;
  if (std::filesystem::exists(std::filesystem::symlink_status(o.output, ec)) && !o.force)
    throw UserError(o.output, "exists already: choose another output, or pass --force");
  AtomicOutput::check_path(o.output, AtomicOutput::Existing::replace);  // no link, no device
  const std::vector<std::string> dirs =
      o.parts.empty() ? std::vector<std::string>{sweep_parts_dir(o.output)} : o.parts;
  const SweepManifest manifest = common_manifest(dirs);
  // Held until the file is written: a shard still running would leave its runs out (or finish
  // them under a merge that reported them missing), and none may start meanwhile.
  // One lock per directory: two descriptions of one file would conflict with each other.
  std::vector<std::unique_ptr<SweepLock>> locks;
  std::set<std::filesystem::path> locked;
  for (const auto& dir : dirs)
    if (locked.insert(std::filesystem::weakly_canonical(dir, ec)).second)
      locks.push_back(std::make_unique<SweepLock>(dir));
  const SweepPlan plan = plan_sweep_text(manifest.scenario, manifest.scenario_file, manifest.params,
                                         manifest.overrides, builtin_plugins(), manifest.seeds);
  if (static_cast<int64_t>(plan.runs.size()) != manifest.runs)
    throw UserError(manifest_path(dirs.front()),
                    fmt::format("plans {} runs here but {} when the sweep ran (another poisonsim "
                                "version?): run the sweep again with this one",
                                plan.runs.size(), manifest.runs));
  const CollectedRuns runs = collect_runs(plan, dirs);
  if (!runs.missing.empty())
    throw UserError(fmt::format("{}", fmt::join(dirs, ", ")),
                    fmt::format("{} of {} runs have no finished part: run {} (shard i/N runs the "
                                "ids with id % N == i: run those shards again, the same command "
                                "reuses what finished, then merge)",
                                runs.missing.size(), plan.runs.size(), list_runs(runs.missing)));
  write_sweep_file(plan, runs, o.output);
  fmt::print("sweep written to {} ({} runs from {})\n\n", o.output, plan.runs.size(),
             fmt::join(dirs, ", "));
  print_sweep_file(o.output);
  // Merge replaces its own output only with --force, so the advice says so.
  throw_if_runs_failed(runs.failures, plan.runs.size(), o.output, dirs.front(),
                       "rerunning their shards' commands reuses the runs that finished; then "
                       "poisonsim merge again, with --force");
}

}  // namespace

void add_merge_command(CLI::App& app, const GlobalOptions& global) {
  auto o = std::make_shared<MergeOptions>();
  auto* cmd = app.add_subcommand("merge", verb_summary("merge"));
  cmd->add_option("sweep", o->output, "Sweep file to write (the shards' -o)")->required();
  cmd->add_option("parts", o->parts,
                  "Parts directories the shards wrote (default: <sweep>.parts); a run found in "
                  "several is taken from the first that finished it");
  cmd->add_flag("--force", o->force, "Overwrite the sweep file if it exists");
  cmd->callback([o, &global] { run_merge(*o, global); });
}

}  // namespace poisonsim::cli
