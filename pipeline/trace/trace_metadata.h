#pragma once
// What a trace records about its run besides the tables (HDF5 attributes, docs/trace-format.md).
#include <cstdint>
#include <string>
#include <utility>

namespace poisonsim {

// Bumped whenever a table or attribute changes meaning, name or type; readers check it.
// 2 added retrains.test_accuracy_before/after and per-column units and description attributes;
// 3 added samples.rejected_by (which guard stage rejected a sample); 4 added the `defense` table
// (each defense stage's ground truth per window), the `defense_seconds` attribute, and
// retrains.gate_reason and gate_margin (why the gate refused a candidate); 5 added the `scores`
// table (each scoring stage's score of every sample it judged).
constexpr int kTraceFormat = 5;
// The oldest format readers still accept: a column added since reads as its default (NaN).
constexpr int kOldestTraceFormat = 1;

struct TraceMetadata {
  TraceMetadata() = default;
  TraceMetadata(std::string yaml, uint64_t run_seed, std::string poisonsim_version)
      : scenario_yaml(std::move(yaml)), seed(run_seed), version(std::move(poisonsim_version)) {}

  std::string scenario_yaml;  // the resolved scenario: every key with the value in force
  uint64_t seed = 0;
  std::string version;  // poisonsim version that wrote the trace
  // The machine's part in the numbers: which models the gate deploys depends on floating point,
  // so on the CPU and the BLAS kernel (pipeline/runtime/numeric_runtime.h). "" in older traces.
  std::string cpu;          // model name and vector instruction sets
  std::string blas;         // library, kernel (and who chose it), OpenMP wait policy
  std::string blas_kernel;  // OpenBLAS's core name alone, e.g. "Cooperlake"
  // The numerics mode and every library's kernel level (pipeline/runtime/numerics_in_use.h),
  // e.g. "portable: OpenBLAS Haswell, oneDNN avx2, ATen AVX2". "" in older traces.
  std::string numerics;
  // Wall seconds by stage as a JSON object, written when the run ends ("" while it runs).
  std::string stage_seconds;
  // Wall seconds of each defense stage, a JSON object keyed "<stage> <type>" in stage order,
  // written when the run ends ("" while it runs, and in older traces).
  std::string defense_seconds;
  // A JSON object: version and git commit, command line, machine, libraries, threads, host,
  // start time (pipeline/runtime/provenance.h). "" in older traces.
  std::string provenance;
  // Read back only: why a run ended early, e.g. "SIGINT at simulated time 120 s of 600"
  // (empty for a run that ran to its end or is still running).
  std::string stopped;
};

}  // namespace poisonsim
