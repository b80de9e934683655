#pragma once
// Runs commands as child processes, a bounded number at a time. A sweep runs each of its runs
// as a separate `poisonsim run`: LibTorch, OpenMP and oneTBB thread settings are per process,
// and one run that crashes cannot take the others with it. `poisonsim report` runs its Python
// script with run_child().
#include <cstddef>
#include <functional>
#include <string>
#include <vector>

namespace poisonsim {

struct ChildCommand {
  std::vector<std::string> argv;  // argv[0] is the program's path
  std::string log_path;           // the child's stdout and stderr go here; empty: ours
};

// Starts the commands in order, at most `jobs` at once, and calls `on_done(index, exit_code)` in
// the calling thread as each ends (exit_code 128 + N when killed by signal N; 127 when it
// could not start). Returns when all have ended.
void run_children(const std::vector<ChildCommand>& commands, int jobs,
                  const std::function<void(size_t, int)>& on_done);

// Runs one command with this process's stdout and stderr and waits for it; returns its exit
// code (128 + N when killed by signal N). Throws std::system_error when it cannot be started.
int run_child(const std::vector<std::string>& argv);

// The running executable's own path (/proc/self/exe), to start more of itself.
std::string own_executable();

}  // namespace poisonsim
