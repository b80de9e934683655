#pragma once
// Prints a sweep's summary table for a terminal: one row per run, its parameter values and the
// headline metrics (`poisonsim sweep` at the end, `poisonsim inspect SWEEP.h5`).
#include <string>

#include "pipeline/trace/sweep_file.h"

namespace poisonsim::cli {

void print_summary_table(const SweepContents& sweep);

// A warning on stderr when the sweep's runs mixed numerics modes, or native kernels and CPUs
// (tools/sweep/sweep_numerics.h).
void warn_if_numerics_mixed(const SweepContents& sweep);

}  // namespace poisonsim::cli
