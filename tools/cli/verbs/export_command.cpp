// `poisonsim export TRACE.h5 --format csv|parquet [-o DIR]`: one file per table, names decoded.
// The work is done by the Python package's python/poisonsim/export.py, the same code that
// open_trace() users run, so the exported tables are exactly what Python sees (docs/cli.md).
#include <memory>
#include <string>
#include <vector>

#include "sim/util/atomic_output.h"
#include "sim/util/text.h"
#include "tools/cli/commands.h"
#include "tools/cli/python_script.h"
#include "tools/cli/verb_table.h"
#include "tools/sweep/child_processes.h"

namespace poisonsim::cli {
namespace {

struct ExportOptions {
  std::string input;
  std::string format = "csv";
  std::string output;  // default: the input's name without .h5, plus -csv or -parquet
  std::string group = "/";
  bool force = false;
};

std::string default_output(const std::string& input, const std::string& format) {
  const std::string suffix = ".h5";
  const bool h5 = input.size() > suffix.size() && ends_with(input, suffix);
  return (h5 ? input.substr(0, input.size() - suffix.size()) : input) + "-" + format;
}

void run_export(const ExportOptions& o, const GlobalOptions& global) {
  apply_global_options(global);
  const std::string script =
      script_path("export", "POISONSIM_EXPORT_SCRIPT", POISONSIM_EXPORT_SCRIPT_PATH,
                  "python/poisonsim/export.py");
  // A run in progress is read from its .partial file, as of its last flush.
  const std::string input = written_or_in_progress(o.input);
  std::vector<std::string> args{
      script,    input,  "--format",
      o.format,  "-o",   o.output.empty() ? default_output(o.input, o.format) : o.output,
      "--group", o.group};
  if (o.force) args.emplace_back("--force");
  if (global.quiet) args.emplace_back("--quiet");
  run_python_script(args, "export", "python3-h5py, python3-pandas and python3-yaml", {input});
}

}  // namespace

void add_export_command(CLI::App& app, const GlobalOptions& global) {
  auto o = std::make_shared<ExportOptions>();
  auto* cmd = app.add_subcommand("export", verb_summary("export"));
  cmd->add_option("trace", o->input, "Run trace or sweep file (NAME.h5.partial while it runs)")
      ->required();
  cmd->add_option("--format", o->format,
                  "csv, or parquet (needs pyarrow, which Debian 12 does not package)")
      ->check(CLI::IsMember({"csv", "parquet"}));
  cmd->add_option("-o,--output", o->output,
                  "Directory to create (default: TRACE without .h5, plus -csv or -parquet)");
  cmd->add_option("--group", o->group, "A run of a sweep file, e.g. /runs/3");
  cmd->add_flag("--force", o->force, "Replace an existing output directory");
  cmd->callback([o, &global] { run_export(*o, global); });
}

}  // namespace poisonsim::cli
