#pragma once
// Whether a sweep's runs computed alike. Portable numerics make a run's numbers independent of
// the machine; runs in different modes, or native runs on different CPUs or kernels, do not come
// from one distribution, and a mean or interval over them mixes floating point with the effect
// measured. The sweep's provenance table records each run's numerics and CPU (from its trace).
#include <string>

#include "pipeline/trace/sweep_file.h"

namespace poisonsim {

// One line saying how the finished runs' numerics mixed, "" when they did not (or when the file
// predates the columns).
std::string numerics_mix_warning(const SweepContents& sweep);

}  // namespace poisonsim
