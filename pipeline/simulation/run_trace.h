#pragma once
// A run's trace file, created with what the run records about itself besides the tables: the
// resolved scenario, the machine, the numerics in use and the provenance (docs/trace-format.md).
#include <memory>
#include <string>

namespace poisonsim {

struct Scenario;
class TraceWriter;

// Creates `path` for scenario `s` run with `threads` (0: one per core), warning once when the
// numerics in use differ from what was asked.
std::unique_ptr<TraceWriter> create_run_trace(const Scenario& s, const std::string& path,
                                              int threads);

}  // namespace poisonsim
