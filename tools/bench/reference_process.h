#pragma once
// The PyTorch reference of `bench attacks --reference` as a child process: Debian's
// /usr/bin/python3 running python/reference/reference_attacks.py, one JSON request per line on its
// stdin and one JSON reply per line on its stdout (a socket pair), so it stays loaded and warm
// while poisonsim and it take turns.
#include <sys/types.h>

#include <string>

#include <nlohmann/json.hpp>

namespace poisonsim::bench {

// /usr/bin/python3, or $POISONSIM_REFERENCE_PYTHON (tests point it elsewhere).
std::string reference_python();
// The script of the source tree poisonsim was built from, or $POISONSIM_REFERENCE_SCRIPT.
std::string reference_script();

// UserError naming the interpreter or the script when either is missing (checked before any
// work, so a machine without them fails in a second).
void check_reference_interpreter();

class ReferenceProcess {
 public:
  // Starts `python script --data data_path --threads threads` with OPENBLAS_NUM_THREADS=1 (as
  // poisonsim runs OpenBLAS) and this process's OMP_WAIT_POLICY and OPENBLAS_CORETYPE, and waits
  // for its first line. Throws UserError naming the interpreter when it is missing, cannot start,
  // or reports that torch (or h5py, numpy) cannot be imported.
  ReferenceProcess(const std::string& data_path, int threads);
  ~ReferenceProcess();  // asks it to quit and reaps it
  ReferenceProcess(const ReferenceProcess&) = delete;
  ReferenceProcess& operator=(const ReferenceProcess&) = delete;

  // Sends one request and returns the reply. Throws UserError when the reference replies with
  // {"error": ...} or ends.
  nlohmann::json request(const nlohmann::json& request);
  // The first line: {"ready": true, "torch": version, "threads": n, "python": version}.
  const nlohmann::json& hello() const { return hello_; }

 private:
  nlohmann::json read_reply(const std::string& what);

  std::string python_;
  pid_t pid_ = -1;
  int fd_ = -1;
  std::string buffer_;
  nlohmann::json hello_;
};

}  // namespace poisonsim::bench
