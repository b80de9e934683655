#pragma once
// Limits a scenario is checked against up front, before any data is loaded: the memory a run
// would need (an estimate from the scenario alone) and the number of arrivals it would simulate.
#include <cstdint>
#include <string>
#include <vector>

#include "pipeline/scenario/scenario.h"

namespace poisonsim {

// One part of the estimate: the scenario key that sets it, what it holds, its bytes.
struct MemoryTerm {
  std::string key;
  std::string what;
  double bytes = 0;
};

// The run's estimated peak resident memory: the larger of data loading (the files and their
// split copies side by side) and the simulation (data, buffer, models, batches, attackers).
struct MemoryEstimate {
  std::vector<MemoryTerm> terms;  // the phase that peaks, largest term first
  double total = 0;
};
MemoryEstimate estimate_memory(const Scenario& s);

// Bytes a run may use: POISONSIM_MEMORY_LIMIT (bytes, or with a K/M/G/T suffix) when set, else
// the smaller of physical memory and the cgroup limit. `source` says which one it was.
double memory_limit(std::string& source);

// Throws UserError(file: key, ...) when the estimate exceeds memory_limit(), naming the largest
// terms' keys, the estimate and the limit; or when the streams and attackers would deliver more
// than kMaxArrivals batches.
void check_run_limits(const Scenario& s);

// "620.3 MB", "1.2 TB": decimal units, as the messages print sizes.
std::string format_bytes(double bytes);

// Batches all streams and attackers may deliver in one run, at most.
constexpr double kMaxArrivals = 1e9;

}  // namespace poisonsim
