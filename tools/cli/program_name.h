#pragma once
// The program as it was started (argv[0], e.g. build/poisonsim), for the commands the console
// suggests next: after a build `poisonsim` alone is not on PATH, so a hint must name the path
// that was typed. "poisonsim" when main did not record a command line (in-process tests).
#include <string>

#include "pipeline/runtime/provenance.h"

namespace poisonsim::cli {

inline std::string program_name() {
  const auto& words = recorded_command_line();
  return words.empty() || words.front().empty() ? std::string("poisonsim") : words.front();
}

}  // namespace poisonsim::cli
