// `poisonsim report`: figures and one HTML page from traces, sweeps, poison sets and attack JSON.
// The work is done by python/scripts/report.py (matplotlib); this verb finds it, runs it
// with Debian's /usr/bin/python3 and passes its exit code through (docs/report.md).
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "sim/util/atomic_output.h"
#include "tools/cli/commands.h"
#include "tools/cli/python_script.h"
#include "tools/cli/verb_table.h"
#include "tools/sweep/child_processes.h"

namespace poisonsim::cli {
namespace {

struct ReportOptions {
  std::vector<std::string> inputs;
  std::string output;
  std::vector<std::string> json;
  std::vector<std::string> baselines;
  std::string format;
  std::string title;
};

// POISONSIM_REPORT_SCRIPT (tests) overrides the source tree's script, whose path is fixed at
// build time.
std::string report_script() {
  return script_path("report", "POISONSIM_REPORT_SCRIPT", POISONSIM_REPORT_SCRIPT_PATH,
                     "python/scripts/report.py");
}

// The script's arguments; `hdf5_inputs` gets the files it reads that may be HDF5 (the inputs and
// baselines, not the JSON figures).
std::vector<std::string> script_arguments(const ReportOptions& o, const GlobalOptions& global,
                                          std::vector<std::string>& hdf5_inputs) {
  std::vector<std::string> args{report_script()};
  // A run in progress is read from its .partial file, as of its last flush.
  for (const auto& input : o.inputs) args.push_back(written_or_in_progress(input));
  hdf5_inputs.assign(args.begin() + 1, args.end());
  args.insert(args.end(), {"-o", o.output});
  for (const auto& file : o.json) args.insert(args.end(), {"--json", file});
  for (const auto& file : o.baselines) {
    args.insert(args.end(), {"--baseline", written_or_in_progress(file)});
    hdf5_inputs.push_back(args.back());
  }
  if (!o.format.empty()) args.insert(args.end(), {"--format", o.format});
  if (!o.title.empty()) args.insert(args.end(), {"--title", o.title});
  // Progress lines are info-level output.
  if (global.quiet || global.log_level == "warn" || global.log_level == "error" ||
      global.log_level == "off")
    args.emplace_back("--quiet");
  return args;
}

// The script prints its own error line (exit 2) or where the page is (exit 0).
void draw_report(const ReportOptions& o, const GlobalOptions& global) {
  std::vector<std::string> hdf5_inputs;
  const auto arguments = script_arguments(o, global, hdf5_inputs);
  run_python_script(arguments, "the report",
                    "python3-h5py, python3-matplotlib, python3-pandas and python3-yaml",
                    hdf5_inputs);
}

void run_report(const ReportOptions& o, const GlobalOptions& global) {
  apply_global_options(global);
  draw_report(o, global);
}

}  // namespace

void write_report(const std::string& input, const std::string& directory,
                  const GlobalOptions& global) {
  ReportOptions o;
  o.inputs = {input};
  o.output = directory;
  draw_report(o, global);
}

void add_report_command(CLI::App& app, const GlobalOptions& global) {
  auto o = std::make_shared<ReportOptions>();
  auto* cmd = app.add_subcommand("report", verb_summary("report"));
  cmd->add_option("inputs", o->inputs,
                  "Run traces, sweep files, poison sets (poisonsim attack -o) or JSON figures "
                  "(poisonsim attack --json, poisonsim bench attacks --json)")
      ->required();
  cmd->add_option("-o,--output", o->output, "Directory for index.html and the figures (created)")
      ->required();
  cmd->add_option("--json", o->json,
                  "JSON figures of poisonsim attack or bench attacks (repeatable): the paper's "
                  "table, the method bars and the direct method's group-size figure")
      ->allow_extra_args(false);  // one file per --json: later inputs stay inputs
  cmd->add_option("--baseline", o->baselines,
                  "A reference run trace (e.g. clean, undefended) drawn on every run's accuracy "
                  "figure (repeatable)")
      ->allow_extra_args(false);
  cmd->add_option("--format", o->format,
                  "Figure files to write: a comma-separated list of png, svg, pdf (default png)");
  cmd->add_option("--title", o->title, "Title of the page (default: poisonsim report)");
  cmd->callback([o, &global] { run_report(*o, global); });
}

}  // namespace poisonsim::cli
