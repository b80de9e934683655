#include "tools/bench/reference_process.h"

#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <vector>

#include <fmt/format.h>

#include "sim/util/error.h"
#include "tools/sweep/child_processes.h"

extern char** environ;

namespace poisonsim::bench {
namespace {

std::string env_or(const char* name, const std::string& fallback) {
  const char* value = std::getenv(name);
  return value && *value ? std::string(value) : fallback;
}

}  // namespace

std::string reference_python() { return env_or("POISONSIM_REFERENCE_PYTHON", "/usr/bin/python3"); }

std::string reference_script() {
  return script_path("reference", "POISONSIM_REFERENCE_SCRIPT", POISONSIM_REFERENCE_SCRIPT_PATH,
                     "python/reference/reference_attacks.py");
}

void check_reference_interpreter() {
  reference_script();
  const std::string python = reference_python();
  if (access(python.c_str(), X_OK) != 0)
    throw UserError(python,
                    "not found: --reference runs the PyTorch reference with Debian's python3 and "
                    "python3-torch; run tools/scripts/setup.sh");
}

ReferenceProcess::ReferenceProcess(const std::string& data_path, int threads)
    : python_(reference_python()) {
  check_reference_interpreter();
  const std::string script = reference_script();
  int fds[2];
  if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) != 0)
    throw UserError(python_, fmt::format("cannot start it: {}", std::strerror(errno)));
  // Everything the child needs is built before fork(): only async-signal-safe calls after it.
  std::vector<std::string> args{python_,   script,      "--data",
                                data_path, "--threads", std::to_string(threads)};
  std::vector<std::string> env{"OPENBLAS_NUM_THREADS=1", "PYTHONDONTWRITEBYTECODE=1"};
  for (char** e = environ; *e; ++e)
    if (std::strncmp(*e, "OPENBLAS_NUM_THREADS=", 21) != 0) env.emplace_back(*e);
  std::vector<char*> argv;
  std::vector<char*> envp;
  for (auto& a : args) argv.push_back(a.data());
  for (auto& e : env) envp.push_back(e.data());
  argv.push_back(nullptr);
  envp.push_back(nullptr);
  pid_ = fork();
  if (pid_ == 0) {
    dup2(fds[1], STDIN_FILENO);
    dup2(fds[1], STDOUT_FILENO);
    execve(argv[0], argv.data(), envp.data());
    _exit(127);
  }
  close(fds[1]);
  if (pid_ < 0) {
    close(fds[0]);
    throw UserError(python_, fmt::format("cannot start it: {}", std::strerror(errno)));
  }
  fd_ = fds[0];
  hello_ = read_reply("start");
}

ReferenceProcess::~ReferenceProcess() {
  if (fd_ >= 0) {
    const std::string quit = "{\"cell\": \"quit\"}\n";
    (void)!send(fd_, quit.data(), quit.size(), MSG_NOSIGNAL);
    close(fd_);
  }
  if (pid_ > 0) {
    int status = 0;
    while (waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
    }
  }
}

nlohmann::json ReferenceProcess::read_reply(const std::string& what) {
  size_t end;
  while ((end = buffer_.find('\n')) == std::string::npos) {
    char chunk[65536];
    const ssize_t got = recv(fd_, chunk, sizeof chunk, 0);
    if (got < 0 && errno == EINTR) continue;
    if (got <= 0)
      throw UserError(python_, fmt::format("the PyTorch reference ({}) ended during '{}' without "
                                           "a reply (its messages are above)",
                                           reference_script(), what));
    buffer_.append(chunk, static_cast<size_t>(got));
  }
  const std::string line = buffer_.substr(0, end);
  buffer_.erase(0, end + 1);
  nlohmann::json reply = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
  if (reply.is_discarded() || !reply.is_object())
    throw UserError(python_, fmt::format("the PyTorch reference replied to '{}' with '{}', not "
                                         "a JSON object",
                                         what, line.substr(0, 200)));
  if (reply.contains("error"))
    throw UserError(python_,
                    fmt::format("the PyTorch reference: {}", reply["error"].get<std::string>()));
  return reply;
}

nlohmann::json ReferenceProcess::request(const nlohmann::json& request) {
  const std::string line = request.dump() + "\n";
  size_t sent = 0;
  while (sent < line.size()) {
    const ssize_t n = send(fd_, line.data() + sent, line.size() - sent, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0)
      throw UserError(python_, fmt::format("the PyTorch reference ({}) is gone: {}",
                                           reference_script(), std::strerror(errno)));
    sent += static_cast<size_t>(n);
  }
  return read_reply(request.value("cell", "?"));
}

}  // namespace poisonsim::bench
