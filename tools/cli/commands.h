#pragma once
// Each CLI verb lives in its own file and adds itself to the app here.
#include <stdexcept>
#include <string>

#include <CLI/CLI.hpp>

namespace poisonsim::cli {

// Options every verb shares (set before the verb: `poisonsim --threads 2 train ...`).
struct GlobalOptions {
  int threads = 0;  // compute threads for LibTorch; 0 = one per core
  std::string log_level = "info";
  bool quiet = false;    // -q: no progress bars, only warnings and errors
  bool verbose = false;  // -v: debug logging
  // Sets up the numeric libraries (threads, BLAS warnings): the engine's main sets it; the light
  // front, which never loads them, leaves it empty.
  void (*configure_libraries)(const GlobalOptions&) = nullptr;
};

// A command that ran but did not fully succeed (e.g. some runs of a sweep failed): the CLI prints
// the message and exits with code 1. Bad input is a UserError (exit code 2) instead.
class CommandFailed : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// A command that a stop signal ended early after closing its outputs (sim/util/stop_signal.h); it
// has said so on stderr. The CLI exits with 128 + the signal's number, as the shell expects.
class StoppedBySignal : public std::runtime_error {
 public:
  explicit StoppedBySignal(int signal)
      : std::runtime_error("stopped by signal " + std::to_string(signal)), signal_(signal) {}
  int signal() const { return signal_; }

 private:
  int signal_;
};

// A command-line mistake as one line: the verb it concerns (or the unknown verb), CLI11's
// message and where to look, e.g. "poisonsim run: scenario is required (see poisonsim run
// --help)".
std::string describe_parse_error(const CLI::App& app, const CLI::ParseError& error, int argc,
                                 const char* const* argv);

// Applies GlobalOptions (logging, then configure_libraries); every verb calls it first.
void apply_global_options(const GlobalOptions& options);

void add_train_command(CLI::App& app, const GlobalOptions& global);
void add_bench_command(CLI::App& app, const GlobalOptions& global);
// `bench defenses` (bench_defenses_command.cpp), added by add_bench_command.
void add_bench_defenses(CLI::App* bench, const GlobalOptions& global);
// `bench generator` (bench_generator_command.cpp), added by add_bench_command.
void add_bench_generator(CLI::App* bench, const GlobalOptions& global);
// `bench startup` (bench_startup_command.cpp), added by add_bench_command.
void add_bench_startup(CLI::App* bench, const GlobalOptions& global);
void add_inspect_command(CLI::App& app, const GlobalOptions& global);
void add_run_command(CLI::App& app, const GlobalOptions& global);
void add_resume_command(CLI::App& app, const GlobalOptions& global);
void add_attack_command(CLI::App& app, const GlobalOptions& global);
void add_validate_command(CLI::App& app, const GlobalOptions& global);
void add_list_command(CLI::App& app, const GlobalOptions& global);
void add_report_command(CLI::App& app, const GlobalOptions& global);
// `poisonsim report INPUT -o DIRECTORY` from another verb (sweep --report).
void write_report(const std::string& input, const std::string& directory,
                  const GlobalOptions& global);
void add_export_command(CLI::App& app, const GlobalOptions& global);
void add_sweep_command(CLI::App& app, const GlobalOptions& global);
void add_merge_command(CLI::App& app, const GlobalOptions& global);
void add_roc_command(CLI::App& app, const GlobalOptions& global);

}  // namespace poisonsim::cli
