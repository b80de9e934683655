// poisonsim-engine: every verb, with the numeric libraries (LibTorch, oneDNN, OpenBLAS) loaded.
// The light front (front_main.cpp, the `poisonsim` users run) hands it every verb that computes.
#include "pipeline/runtime/numeric_runtime.h"
#include "pipeline/runtime/provenance.h"
#include "tools/cli/app_setup.h"
#include "tools/cli/library_options.h"

int main(int argc, char** argv) {
  // Before anything else: may re-execute with the BLAS kernel and OpenMP wait policy set (not
  // when started by the front, which set them).
  poisonsim::prepare_numeric_environment(argv);
  poisonsim::set_command_line(argc, argv);  // for the provenance of what this process writes
  namespace cli = poisonsim::cli;
  CLI::App app{cli::app_description()};
  cli::GlobalOptions global;
  global.configure_libraries = &cli::configure_numeric_libraries;
  cli::configure_app(app, global);
  // In the order of tools/cli/verb_table.cpp, which `--help` lists.
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
  return cli::run_app(app, argc, argv);
}
