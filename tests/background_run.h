#pragma once
// poisonsim started in the background, and polling for a condition: tests of runs in progress.
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iterator>
#include <string>
#include <thread>

#include "tests/test_support.h"

extern char** environ;

namespace poisonsim::test {

// poisonsim started through sh, which execs it: the pid is poisonsim's.
class BackgroundRun {
 public:
  BackgroundRun(const std::string& arguments, const std::string& log) {
    const std::string line = "exec " + poisonsim_binary() + " " + arguments + " >" + log + " 2>&1";
    const char* argv[] = {"/bin/sh", "-c", line.c_str(), nullptr};
    if (posix_spawn(&pid_, "/bin/sh", nullptr, nullptr, const_cast<char**>(argv), environ) != 0)
      pid_ = -1;
  }
  ~BackgroundRun() {
    if (pid_ > 0 && !waited_) {
      ::kill(pid_, SIGKILL);
      wait();
    }
  }
  BackgroundRun(const BackgroundRun&) = delete;
  BackgroundRun& operator=(const BackgroundRun&) = delete;

  pid_t pid() const { return pid_; }
  void signal(int number) const { ::kill(pid_, number); }
  // Whether it is still running (false once it exited, even before wait()).
  bool running() {
    if (waited_) return false;
    int status = 0;
    const pid_t done = waitpid(pid_, &status, WNOHANG);
    if (done != pid_) return true;
    waited_ = true;
    exit_code_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    return false;
  }
  // The exit code (128 + N when killed by signal N).
  int wait() {
    if (waited_) return exit_code_;
    int status = 0;
    while (waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
    }
    waited_ = true;
    exit_code_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    return exit_code_;
  }

 private:
  pid_t pid_ = -1;
  bool waited_ = false;
  int exit_code_ = -1;
};

// Polls `condition` every 50 ms for at most `limit`.
inline bool eventually(const std::function<bool()>& condition,
                       std::chrono::seconds limit = std::chrono::seconds(120)) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < deadline) {
    if (condition()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return condition();
}

inline std::string file_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

// Live processes whose command line mentions `fragment`, other than this test (a process that
// has exited but is not yet reaped has an empty command line): runs of a sweep by its parts.
inline int processes_mentioning(const std::string& fragment) {
  int count = 0;
  for (const auto& entry : std::filesystem::directory_iterator("/proc")) {
    const auto name = entry.path().filename().string();
    if (name.find_first_not_of("0123456789") != std::string::npos) continue;
    if (std::stoi(name) == ::getpid()) continue;
    if (file_bytes(entry.path().string() + "/cmdline").find(fragment) != std::string::npos) ++count;
  }
  return count;
}

// The documented failure format: exactly one line, starting "error: ".
inline bool single_error_line(const std::string& output) {
  return output.rfind("error: ", 0) == 0 && output.find('\n') == output.size() - 1;
}

}  // namespace poisonsim::test
