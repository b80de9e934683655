#include "sim/util/stop_signal.h"

#include <signal.h>

#include <atomic>
#include <string>

namespace poisonsim {
namespace {

std::atomic<int> requested{0};

// Only the first signal is kept; more are harmless (a sweep's run may get a Ctrl-C from the
// terminal and the same signal forwarded by its sweep).
extern "C" void on_stop_signal(int signal) {
  int none = 0;
  requested.compare_exchange_strong(none, signal);
}

}  // namespace

void install_stop_handlers() {
  struct sigaction action {};
  action.sa_handler = on_stop_signal;
  sigemptyset(&action.sa_mask);
  action.sa_flags = SA_RESTART;  // blocking reads and writes continue; the job polls the flag
  for (int signal : {SIGINT, SIGTERM, SIGHUP}) ::sigaction(signal, &action, nullptr);
  ::signal(SIGXFSZ, SIG_IGN);
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
