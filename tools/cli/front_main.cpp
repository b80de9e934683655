// poisonsim: the command users run. It starts in milliseconds because it never loads the numeric
// libraries: it runs the light verbs (verb_table.h: inspect, report, export, roc), `--help` and
// `--version` itself, and hands every other verb, unparsed, to poisonsim-engine beside it
// (engine_handoff.h), which loads them once (no second start to set the BLAS kernel).
#include <map>
#include <string>

#include "pipeline/runtime/provenance.h"
#include "tools/cli/app_setup.h"
#include "tools/cli/engine_handoff.h"
#include "tools/cli/verb_table.h"

int main(int argc, char** argv) {
  namespace cli = poisonsim::cli;
  if (cli::needs_engine(argc, argv)) cli::hand_to_engine(argv);
  poisonsim::set_command_line(argc, argv);
  CLI::App app{cli::app_description()};
  cli::GlobalOptions global;
  cli::configure_app(app, global);
  using AddVerb = void (*)(CLI::App&, const cli::GlobalOptions&);
  const std::map<std::string, AddVerb> light_verbs = {{"inspect", &cli::add_inspect_command},
                                                      {"report", &cli::add_report_command},
                                                      {"export", &cli::add_export_command},
                                                      {"roc", &cli::add_roc_command}};
  for (const cli::Verb& verb : cli::verbs()) {
    if (verb.light)
      light_verbs.at(verb.name)(app, global);
    else  // listed by --help and matched against a misspelling; never run here
      app.add_subcommand(verb.name, verb.summary);
  }
  return cli::run_app(app, argc, argv);
}
