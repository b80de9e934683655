#pragma once
// The parts directory of a sweep (<output>.parts/): what every process that runs some of the
// sweep's runs writes, and all that `poisonsim merge` reads. Per run id:
//   run-<id>.h5    the run's trace (`poisonsim run -o`)
//   run-<id>.log   its stdout and stderr
//   run-<id>.json  who ran it: exit code, worker (local, rank r/N, shard i/N), host, seconds,
//                  and a fingerprint of the run's resolved scenario; an MPI rank writes it
//                  first when it starts the run ("ended": false), so a rank killed before
//                  the run's end still says who ran it
// and once per sweep, sweep.json: the scenario text, --param and --set values that define the
// grid (and --seeds), so a merge can plan it again and tell parts of another sweep apart.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "tools/sweep/sweep_plan.h"

namespace poisonsim {

std::string run_part_path(const std::string& parts, int64_t id, const char* extension);

// What defines a sweep's grid; equal manifests mean the same runs with the same ids.
struct SweepManifest {
  std::string scenario_file;
  std::string scenario;
  std::vector<std::string> params;
  std::vector<std::string> overrides;
  int64_t runs = 0;
  int64_t seeds = 0;  // --seeds N (0: not given; absent from manifests written before it)

  bool operator==(const SweepManifest& other) const;
};

SweepManifest manifest_of(const SweepPlan& plan, const std::vector<std::string>& params,
                          const std::vector<std::string>& overrides);
std::string manifest_path(const std::string& parts);
// Writes sweep.json (atomically: shards may start together).
void write_manifest(const std::string& parts, const SweepManifest& manifest);
// nullopt when the directory has no sweep.json; UserError when it is unreadable.
std::optional<SweepManifest> read_manifest(const std::string& parts);

struct RunProvenance {
  int64_t run = 0;
  int exit_code = 0;
  std::string worker;  // "local", "rank 2/3", "shard 1/3"
  std::string host;
  double seconds = 0;
  uint64_t scenario_fingerprint = 0;  // of the run's resolved scenario
  // False in the record written when the run started; read once the run is over, it says the
  // process that started the run was killed before it could record the end (code, seconds).
  bool ended = true;
};

uint64_t scenario_fingerprint(const SweepRunSpec& run);
std::string this_host();
void write_provenance(const std::string& parts, const RunProvenance& provenance);
// nullopt when missing, unreadable, or written for another scenario than `run`'s.
std::optional<RunProvenance> read_provenance(const std::string& parts, const SweepRunSpec& run);

// True when the directory holds a finished trace of exactly this run (a trace cut short by a
// kill, or one of another scenario, is not).
bool finished_part(const std::string& parts, const SweepRunSpec& run);

// The last non-blank line of a run's log (its error, usually).
std::string last_log_line(const std::string& path);

}  // namespace poisonsim
