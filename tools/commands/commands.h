#pragma once
// Each CLI verb lives in its own file and adds itself to the app here.
#include <CLI/CLI.hpp>

namespace poisonsim::cli {

// Options every verb shares (set before the verb: `poisonsim --threads 2 train ...`).
struct GlobalOptions {
  int threads = 0;  // compute threads for LibTorch; 0 = one per core
  std::string log_level = "info";
};

// Applies GlobalOptions (logging, thread counts); every verb calls it first.
void apply_global_options(const GlobalOptions& options);

void add_train_command(CLI::App& app, const GlobalOptions& global);
void add_bench_command(CLI::App& app, const GlobalOptions& global);
void add_inspect_command(CLI::App& app, const GlobalOptions& global);
void add_run_command(CLI::App& app, const GlobalOptions& global);
void add_attack_command(CLI::App& app, const GlobalOptions& global);
void add_validate_command(CLI::App& app, const GlobalOptions& global);

}  // namespace poisonsim::cli
