#pragma once
// Runs commands as child processes, a bounded number at a time. A sweep runs each of its runs
// as a separate `poisonsim run`: LibTorch, OpenMP and oneTBB thread settings are per process,
// and one run that crashes cannot take the others with it. `poisonsim report` runs its Python
// script with run_child(). Every child is sent SIGTERM when the thread that started it dies
// (prctl PR_SET_PDEATHSIG), so a parent killed outright leaves no children running: start them
// from a thread that lives as long as they should (the main thread).
#include <sys/types.h>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace poisonsim {

struct ChildCommand {
  std::vector<std::string> argv;  // argv[0] is the program's path
  std::string log_path;           // the child's stdout and stderr go here; empty: ours
};

struct FinishedChild {
  size_t tag = 0;           // what the caller gave to ChildPool::start
  int exit_code = 0;        // 128 + N when killed by signal N; 127 when it could not start
  double seconds = 0;       // wall time from start to end
  int64_t max_rss_kib = 0;  // peak resident memory of the child (wait4's ru_maxrss), KiB
};

// Children started one by one, reaped by pid (never waitpid(-1): an MPI rank's runtime may own
// other children). The MPI sweep loop polls it between messages; run_children blocks on it.
class ChildPool {
 public:
  // Starts `command`; a child that cannot start is reported by the next wait() with code 127.
  void start(const ChildCommand& command, size_t tag);
  size_t running() const { return running_.size() + not_started_.size(); }
  // The next child to end, waiting at most `timeout` (nullopt: none ended in that time, or none
  // is running).
  std::optional<FinishedChild> wait(std::chrono::milliseconds timeout);
  // Sends `signal` to every running child.
  void signal_all(int signal) const;

 private:
  struct Running {
    size_t tag;
    std::chrono::steady_clock::time_point started;
  };
  std::map<pid_t, Running> running_;
  std::vector<size_t> not_started_;
};

// Starts the commands in order, at most `jobs` at once, and calls `on_done(index, finished)` in
// the calling thread as each ends. Returns when all have ended. After a stop signal
// (sim/util/stop_signal.h) it starts no more, forwards the signal to the running ones and waits for
// them: the commands never started get no on_done call.
void run_children(const std::vector<ChildCommand>& commands, int jobs,
                  const std::function<void(size_t, const FinishedChild&)>& on_done);

// Runs one command with this process's stdout and stderr and waits for it; returns its exit
// code (128 + N when killed by signal N). Throws std::system_error when it cannot be started.
int run_child(const std::vector<std::string>& argv);

// A script of the source tree this poisonsim was built from, run as a child (the report, the
// PyTorch reference): `built_in` unless the environment variable `override` names another
// file. UserError naming the path when it is not a file: "<what> script not found", and
// `source_path` (e.g. "python/scripts/report.py") says which script it should be.
std::string script_path(const char* what, const char* override, const std::string& built_in,
                        const std::string& source_path);

// The running executable's own path (/proc/self/exe), to start more of itself.
std::string own_executable();

// CPUs this process may run on (its affinity mask: what mpirun, srun or taskset gave it).
int available_cores();

}  // namespace poisonsim
