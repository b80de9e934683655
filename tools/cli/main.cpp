// poisonsim: simulate a continually retrained model under data poisoning, behind a loss guard.
#include <exception>

#include <fmt/format.h>

#include "pipeline/runtime/numeric_runtime.h"
#include "pipeline/runtime/provenance.h"
#include "poisonsim_version.h"
#include "sim/util/error.h"
#include "sim/util/stop_signal.h"
#include "tools/cli/commands.h"

int main(int argc, char** argv) {
  // Before anything else: may re-execute with the BLAS kernel and OpenMP wait policy set.
  poisonsim::prepare_numeric_environment(argv);
  poisonsim::set_command_line(argc, argv);  // for the provenance of what this process writes
  namespace cli = poisonsim::cli;
  CLI::App app{"poisonsim " POISONSIM_VERSION
               ": a simulator of a continually retrained neural network under data-poisoning "
               "attack, behind a loss-based guard (Yang et al., 2017)."};
  app.set_version_flag("--version", POISONSIM_VERSION);
  // Every verb's options in one process (tests/docs_options_test.py reads it; one LibTorch
  // start instead of one per verb).
  app.set_help_all_flag("--help-all", "Print the help of every verb and sub-verb and exit");
  app.require_subcommand(1);
  app.fallthrough();  // global options may also follow the verb: run s.yaml --threads 2
  cli::GlobalOptions global;
  app.add_option("--threads", global.threads, "Compute threads (0: one per core)")
      ->check(CLI::Range(0, 1024));
  app.add_option("--log-level", global.log_level, "trace, debug, info, warn, error or off")
      ->check(CLI::IsMember({"trace", "debug", "info", "warn", "error", "off"}));
  auto* quiet = app.add_flag("-q,--quiet", global.quiet,
                             "No progress bars; only warnings and errors (every verb)");
  app.add_flag("-v,--verbose", global.verbose, "Debug logging (every verb)")->excludes(quiet);
  cli::add_run_command(app, global);
  cli::add_resume_command(app, global);
  cli::add_validate_command(app, global);
  cli::add_list_command(app, global);
  cli::add_inspect_command(app, global);
  cli::add_attack_command(app, global);
  cli::add_train_command(app, global);
  cli::add_bench_command(app, global);
  cli::add_report_command(app, global);
  cli::add_export_command(app, global);
  cli::add_sweep_command(app, global);
  cli::add_merge_command(app, global);
  cli::add_roc_command(app, global);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    // --help and --version exit 0; any other command-line mistake is a user error: one line,
    // exit 2, like every other error.
    if (e.get_exit_code() == 0) return app.exit(e);
    fmt::print(stderr, "error: {}\n", cli::describe_parse_error(app, e, argc, argv));
    return 2;
  } catch (const poisonsim::UserError& e) {
    fmt::print(stderr, "error: {}\n", e.what());
    return 2;
  } catch (const cli::StoppedBySignal& e) {
    return poisonsim::exit_code_for_signal(e.signal());
  } catch (const cli::CommandFailed& e) {
    fmt::print(stderr, "error: {}\n", e.what());
    return 1;
  } catch (const std::exception& e) {
    fmt::print(stderr, "internal error (please report): {}\n", e.what());
    return 1;
  }
  return 0;
}
