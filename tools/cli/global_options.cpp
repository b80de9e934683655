#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include "pipeline/runtime/compute_threads.h"
#include "pipeline/runtime/numeric_runtime.h"
#include "sim/util/progress.h"
#include "tools/cli/commands.h"

namespace poisonsim::cli {

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
  configure_compute_threads(options.threads);
  const std::string warning = blas_warning(blas_info(), cpu_info());
  if (!warning.empty()) spdlog::warn("{}", warning);
  spdlog::debug("BLAS: {}", describe_blas());
}

}  // namespace poisonsim::cli
