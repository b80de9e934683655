#include "tools/sweep/child_processes.h"

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <filesystem>
#include <map>
#include <stdexcept>
#include <system_error>

#include <fmt/format.h>

extern char** environ;

namespace poisonsim {
namespace {

// posix_spawn's error number (0: started).
int spawn(const ChildCommand& command, pid_t& pid) {
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  if (!command.log_path.empty()) {
    posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, command.log_path.c_str(),
                                     O_WRONLY | O_CREAT | O_TRUNC, 0644);
    posix_spawn_file_actions_adddup2(&actions, STDOUT_FILENO, STDERR_FILENO);
  }
  std::vector<char*> argv;
  for (const auto& arg : command.argv) argv.push_back(const_cast<char*>(arg.c_str()));
  argv.push_back(nullptr);
  const int error = posix_spawn(&pid, argv[0], &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  return error;
}

pid_t start(const ChildCommand& command) {
  pid_t pid = -1;
  return spawn(command, pid) == 0 ? pid : -1;
}

int exit_code(int status) {
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return 1;
}

}  // namespace

void run_children(const std::vector<ChildCommand>& commands, int jobs,
                  const std::function<void(size_t, int)>& on_done) {
  if (jobs < 1) jobs = 1;
  std::map<pid_t, size_t> running;
  size_t next = 0;
  while (next < commands.size() || !running.empty()) {
    while (next < commands.size() && running.size() < static_cast<size_t>(jobs)) {
      const pid_t pid = start(commands[next]);
      if (pid < 0) {
        on_done(next++, 127);
        continue;
      }
      running[pid] = next++;
    }
    if (running.empty()) continue;
    int status = 0;
    const pid_t pid = waitpid(-1, &status, 0);
    if (pid < 0) {
      if (errno == EINTR) continue;
      throw std::runtime_error(fmt::format("waitpid failed: errno {}", errno));
    }
    const auto it = running.find(pid);
    if (it == running.end()) continue;  // not one of ours
    const size_t index = it->second;
    running.erase(it);
    on_done(index, exit_code(status));
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

std::string own_executable() {
  std::error_code ec;
  const auto path = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (ec) throw std::runtime_error("cannot find the running executable (/proc/self/exe)");
  return path.string();
}

}  // namespace poisonsim
