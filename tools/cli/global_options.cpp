#include <cstdlib>

#include <fmt/format.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include "pipeline/runtime/numerics_mode.h"
#include "sim/util/error.h"
#include "sim/util/progress.h"
#include "tools/cli/commands.h"

namespace poisonsim::cli {
namespace {

// POISONSIM_NUMERICS with a value no mode has: the process started in its default mode, which
// is not what the user asked for.
void check_numerics_override() {
  const char* forced = std::getenv(kNumericsOverrideVariable);
  if (forced && *forced && !numerics_mode_names().find(forced))
    throw UserError(kNumericsOverrideVariable,
                    fmt::format("unknown numerics mode '{}', expected {}", forced,
                                numerics_mode_names().choices_text()));
}

}  // namespace

void apply_global_options(const GlobalOptions& options) {
  // Logs go to stderr, so stdout carries only results (tables, --print, --json to stdout).
  if (!spdlog::get("poisonsim")) spdlog::set_default_logger(spdlog::stderr_color_mt("poisonsim"));
  // -q and -v are shorthands for the two log levels people want most; they win over
  // --log-level, which stays for the others.
  std::string level = options.log_level;
  if (options.quiet) level = "warn";
  if (options.verbose) level = "debug";
  spdlog::set_level(spdlog::level::from_str(level));
  Progress::silence_all(options.quiet);
  spdlog::set_pattern("[%H:%M:%S] %^%l%$ %v");
  check_numerics_override();
  if (options.configure_libraries) options.configure_libraries(options);
}

}  // namespace poisonsim::cli
