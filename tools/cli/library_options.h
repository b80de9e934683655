#pragma once
// The engine's part of the global options: what only a process with the numeric libraries does.
#include "tools/cli/commands.h"

namespace poisonsim::cli {

// LibTorch's and OpenBLAS's threads (compute_threads.h), then a warning when the BLAS is slow
// or portable numerics replaced the user's kernel settings.
void configure_numeric_libraries(const GlobalOptions& options);

}  // namespace poisonsim::cli
