#pragma once
// What a trace records about its run besides the tables (HDF5 attributes, docs/trace-format.md).
#include <cstdint>
#include <string>

namespace poisonsim {

// Bumped whenever a table or attribute changes meaning, name or type; readers check it.
constexpr int kTraceFormat = 1;

struct TraceMetadata {
  std::string scenario_yaml;  // the resolved scenario: every key with the value in force
  uint64_t seed = 0;
  std::string version;  // poisonsim version that wrote the trace
};

}  // namespace poisonsim
