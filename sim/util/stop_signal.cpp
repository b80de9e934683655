#include "sim/util/stop_signal.h"

#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <string>
#include <thread>

namespace poisonsim {
namespace {

std::atomic<int> requested{0};

// The acknowledgement of each stop signal, complete, filled before the handlers are installed:
// the handler only picks one and write()s it, which is async-signal-safe (no allocation, no
// lock, no stdio buffer shared with the interrupted code).
struct Acknowledgement {
  char text[512];
  size_t size;
};
Acknowledgement acknowledgements[3];  // SIGINT, SIGTERM, SIGHUP

int slot_of(int signal) { return signal == SIGINT ? 0 : signal == SIGTERM ? 1 : 2; }

// Only the first signal is kept and answered; more are harmless (a sweep's run may get a Ctrl-C
// from the terminal and the same signal forwarded by its sweep).
extern "C" void on_stop_signal(int signal) {
  int none = 0;
  if (!requested.compare_exchange_strong(none, signal)) return;
  const int saved_errno = errno;  // the interrupted code may be about to read it
  const Acknowledgement& ack = acknowledgements[slot_of(signal)];
  if (::write(STDERR_FILENO, ack.text, ack.size) < 0) {
    // Nothing to do: stderr is gone, and the stop goes ahead all the same.
  }
  errno = saved_errno;
}

}  // namespace

void install_stop_handlers(const std::string& acknowledgement) {
  // After a progress bar's carriage return, the line starts on a line of its own.
  const std::string start = ::isatty(STDERR_FILENO) ? "\npoisonsim: " : "poisonsim: ";
  for (int signal : {SIGINT, SIGTERM, SIGHUP}) {
    Acknowledgement& ack = acknowledgements[slot_of(signal)];
    const std::string line = start + signal_name(signal) + " received: " + acknowledgement + "\n";
    ack.size = std::min(line.size(), sizeof ack.text);
    std::memcpy(ack.text, line.data(), ack.size);
  }
  struct sigaction action {};
  action.sa_handler = on_stop_signal;
  sigemptyset(&action.sa_mask);
  action.sa_flags = SA_RESTART;  // blocking reads and writes continue; the job polls the flag
  for (int signal : {SIGINT, SIGTERM, SIGHUP}) ::sigaction(signal, &action, nullptr);
  ::signal(SIGXFSZ, SIG_IGN);
  // Blocked in this thread, hence in every thread started from now on (oneTBB's, OpenMP's and
  // oneDNN's workers, and this one, which scores and trains too), and taken by a thread of their
  // own, so no signal lands in the middle of a library's computation. While any thread could get
  // it, about one Ctrl-C in fifteen on the quickstart ended in glibc's "corrupted size vs.
  // prev_size" (SIGABRT) in oneDNN, scoring during the retrain in progress. Threads that existed
  // before (OpenBLAS's idle server) may still get one: the handler keeps that safe.
  sigset_t stops;
  sigemptyset(&stops);
  for (int signal : {SIGINT, SIGTERM, SIGHUP}) sigaddset(&stops, signal);
  pthread_sigmask(SIG_BLOCK, &stops, nullptr);
  std::thread([stops] {
    for (;;) {
      int signal = 0;
      if (sigwait(&stops, &signal) == 0) on_stop_signal(signal);
    }
  }).detach();
}

void unblock_stop_signals() {
  sigset_t stops;
  sigemptyset(&stops);
  for (int signal : {SIGINT, SIGTERM, SIGHUP}) sigaddset(&stops, signal);
  sigprocmask(SIG_UNBLOCK, &stops, nullptr);
}

int stop_signal() { return requested.load(); }

std::string signal_name(int signal) {
  switch (signal) {
    case SIGINT:
      return "SIGINT";
    case SIGTERM:
      return "SIGTERM";
    case SIGHUP:
      return "SIGHUP";
    default:
      return "signal " + std::to_string(signal);
  }
}

}  // namespace poisonsim
