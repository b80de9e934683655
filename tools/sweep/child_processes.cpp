#include "tools/sweep/child_processes.h"

#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <stdexcept>
#include <system_error>
#include <thread>

#include <fmt/format.h>

#include "sim/util/error.h"
#include "sim/util/stop_signal.h"

extern char** environ;

namespace poisonsim {
namespace {

// Starts `command` with fork and exec rather than posix_spawn: the child must ask, before it
// execs, to be sent SIGTERM when the thread that started it dies, so that a sweep killed with
// SIGKILL leaves no runs behind (they would hold their traces' locks and collide with a rerun).
// Returns 0, or the error number of a fork or exec that failed (sent back through a pipe closed
// by a successful exec, as posix_spawn does). Between fork and exec only async-signal-safe
// calls: everything is built before the fork.
int spawn(const ChildCommand& command, pid_t& pid) {
  std::vector<char*> argv;
  for (const auto& arg : command.argv) argv.push_back(const_cast<char*>(arg.c_str()));
  argv.push_back(nullptr);
  const char* log = command.log_path.empty() ? nullptr : command.log_path.c_str();
  int report[2];
  if (pipe2(report, O_CLOEXEC) != 0) return errno;
  const pid_t parent = getpid();
  pid = fork();
  if (pid == 0) {
    unblock_stop_signals();  // a run or a Python script must see Ctrl-C and forwarded stops
    int error = 0;
    // The parent may have died before prctl: then this is someone else's child already.
    if (prctl(PR_SET_PDEATHSIG, SIGTERM) != 0 || getppid() != parent) _exit(127);
    if (log) {
      const int fd = open(log, O_WRONLY | O_CREAT | O_TRUNC, 0644);
      if (fd < 0 || dup2(fd, STDOUT_FILENO) < 0 || dup2(fd, STDERR_FILENO) < 0) error = errno;
      if (fd > STDERR_FILENO) close(fd);
    }
    if (error == 0) execve(argv[0], argv.data(), environ);
    if (error == 0) error = errno;
    (void)!write(report[1], &error, sizeof error);
    _exit(127);
  }
  const int fork_error = pid < 0 ? errno : 0;
  close(report[1]);
  int error = fork_error;
  while (pid > 0 && read(report[0], &error, sizeof error) < 0 && errno == EINTR) {
  }
  close(report[0]);
  if (pid > 0 && error != 0)
    while (waitpid(pid, nullptr, 0) < 0 && errno == EINTR) {
    }
  return error;
}

int exit_code(int status) {
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return 1;
}

}  // namespace

void ChildPool::start(const ChildCommand& command, size_t tag) {
  pid_t pid = -1;
  if (spawn(command, pid) != 0) {
    not_started_.push_back(tag);
    return;
  }
  running_[pid] = {tag, std::chrono::steady_clock::now()};
}

std::optional<FinishedChild> ChildPool::wait(std::chrono::milliseconds timeout) {
  if (!not_started_.empty()) {
    const size_t tag = not_started_.front();
    not_started_.erase(not_started_.begin());
    return FinishedChild{tag, 127, 0};
  }
  // Polling each pid costs microseconds; runs take seconds, so a 10 ms step loses nothing.
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!running_.empty()) {
    for (auto it = running_.begin(); it != running_.end(); ++it) {
      int status = 0;
      struct rusage usage {};
      const pid_t pid = wait4(it->first, &status, WNOHANG, &usage);
      if (pid == 0) continue;
      if (pid < 0 && errno == EINTR) continue;
      const auto now = std::chrono::steady_clock::now();
      FinishedChild done{it->second.tag, pid < 0 ? 1 : exit_code(status),
                         std::chrono::duration<double>(now - it->second.started).count(),
                         pid < 0 ? 0 : static_cast<int64_t>(usage.ru_maxrss)};
      running_.erase(it);
      return done;
    }
    const auto now = std::chrono::steady_clock::now();
    if (now >= deadline) break;
    std::this_thread::sleep_for(std::min<std::chrono::steady_clock::duration>(
        std::chrono::milliseconds(10), deadline - now));
  }
  return std::nullopt;
}

void ChildPool::signal_all(int signal) const {
  for (const auto& [pid, running] : running_) ::kill(pid, signal);
}

void run_children(const std::vector<ChildCommand>& commands, int jobs,
                  const std::function<void(size_t, const FinishedChild&)>& on_done) {
  if (jobs < 1) jobs = 1;
  ChildPool pool;
  size_t next = 0;
  bool forwarded = false;
  while (next < commands.size() || pool.running() > 0) {
    if (!forwarded && stop_signal() != 0) {
      pool.signal_all(stop_signal());
      forwarded = true;
      next = commands.size();  // start no more
    }
    while (next < commands.size() && pool.running() < static_cast<size_t>(jobs)) {
      pool.start(commands[next], next);
      ++next;
    }
    // A short wait, so that a stop signal is forwarded promptly.
    if (const auto done = pool.wait(std::chrono::milliseconds(100))) on_done(done->tag, *done);
  }
}

int run_child(const std::vector<std::string>& argv) {
  // Output buffered here must come before the child's on the shared stdout and stderr.
  std::fflush(stdout);
  std::fflush(stderr);
  pid_t pid = -1;
  if (const int error = spawn({argv, ""}, pid))
    throw std::system_error(error, std::generic_category(), argv.at(0));
  int status = 0;
  while (waitpid(pid, &status, 0) < 0)
    if (errno != EINTR) throw std::system_error(errno, std::generic_category(), "waitpid");
  return exit_code(status);
}

std::string script_path(const char* what, const char* override, const std::string& built_in,
                        const std::string& source_path) {
  const char* from_env = std::getenv(override);
  const std::string script = from_env && *from_env ? std::string(from_env) : built_in;
  std::error_code ec;
  if (!std::filesystem::is_regular_file(script, ec))
    throw UserError(script, fmt::format("{} script not found (it is {} in the source tree this "
                                        "poisonsim was built from; {} can point at it)",
                                        what, source_path, override));
  return script;
}

std::string own_executable() {
  std::error_code ec;
  const auto path = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (ec) throw std::runtime_error("cannot find the running executable (/proc/self/exe)");
  return path.string();
}

int available_cores() {
  cpu_set_t set;
  CPU_ZERO(&set);
  if (sched_getaffinity(0, sizeof set, &set) != 0)
    return static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  return std::max(1, CPU_COUNT(&set));
}

}  // namespace poisonsim
