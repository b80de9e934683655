#include "tools/cli/app_setup.h"

#include <exception>

#include <fmt/format.h>

#include "poisonsim_version.h"
#include "sim/util/error.h"
#include "sim/util/stop_signal.h"

namespace poisonsim::cli {

const char* app_description() {
  return "poisonsim " POISONSIM_VERSION
         ": a simulator of a continually retrained neural network under data-poisoning attack, "
         "behind a loss-based guard (Yang et al., 2017).";
}

void configure_app(CLI::App& app, GlobalOptions& global) {
  app.set_version_flag("--version", POISONSIM_VERSION);
  // Every verb's options in one process (tests/docs_options_test.py reads it).
  app.set_help_all_flag("--help-all", "Print the help of every verb and sub-verb and exit");
  app.require_subcommand(1);
  app.fallthrough();  // global options may also follow the verb: run s.yaml --threads 2
  app.add_option("--threads", global.threads, "Compute threads (0: one per core)")
      ->check(CLI::Range(0, 1024));
  app.add_option("--log-level", global.log_level, "trace, debug, info, warn, error or off")
      ->check(CLI::IsMember({"trace", "debug", "info", "warn", "error", "off"}));
  auto* quiet = app.add_flag("-q,--quiet", global.quiet,
                             "No progress bars; only warnings and errors (every verb)");
  app.add_flag("-v,--verbose", global.verbose, "Debug logging (every verb)")->excludes(quiet);
}

int run_app(CLI::App& app, int argc, char** argv) {
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    // --help and --version exit 0; any other command-line mistake is a user error: one line,
    // exit 2, like every other error.
    if (e.get_exit_code() == 0) return app.exit(e);
    fmt::print(stderr, "error: {}\n", describe_parse_error(app, e, argc, argv));
    return 2;
  } catch (const UserError& e) {
    fmt::print(stderr, "error: {}\n", e.what());
    return 2;
  } catch (const StoppedBySignal& e) {
    return exit_code_for_signal(e.signal());
  } catch (const CommandFailed& e) {
    fmt::print(stderr, "error: {}\n", e.what());
    return 1;
  } catch (const std::exception& e) {
    fmt::print(stderr, "internal error (please report): {}\n", e.what());
    return 1;
  }
  return 0;
}

}  // namespace poisonsim::cli
