#pragma once
// What both entry points share: the application's name and version, `--help-all`, the global
// options, and how a parse or a verb ends (the exit code, one `error:` line).
#include <CLI/CLI.hpp>

#include "tools/cli/commands.h"

namespace poisonsim::cli {

// "poisonsim <version>: a simulator of ...": the first line of `--help`.
const char* app_description();

// The version flag, `--help-all`, one verb required, and the global options into `global`.
void configure_app(CLI::App& app, GlobalOptions& global);

// Parses argv, which runs the verb; returns the process's exit code: 0, 1 for a command that
// failed, 2 for bad input, 128 + N after stop signal N.
int run_app(CLI::App& app, int argc, char** argv);

}  // namespace poisonsim::cli
