#pragma once
// SIGINT, SIGTERM and SIGHUP ask a long job to stop at its next safe point (a simulation's next
// event boundary, a sweep's next check of its children) instead of killing it mid-write: the
// job then closes its outputs, says why it stopped, and exits 128 + the signal's number. More
// signals change nothing; SIGKILL (kill -9) ends a process at once.
// SIGXFSZ is ignored, so a file-size limit (ulimit -f) is a write error with a message, not a
// silent death.
#include <string>

namespace poisonsim {

// Installs the handlers. Commands that write results call it first, once, with what the first
// signal is answered at once on stderr: "poisonsim: SIGINT received: <acknowledgement>". The
// stop itself waits for the job's next safe point, which a long step (a retrain, a generator's
// training) can put seconds away: the line tells the user the signal arrived meanwhile.
// The signals are blocked in the calling thread and every thread it starts later, and taken by
// a thread of their own (see stop_signal.cpp for why).
void install_stop_handlers(const std::string& acknowledgement);
// For a child process between fork and exec (async-signal-safe): the program it runs gets the
// stop signals as usual, not blocked as this process's threads have them.
void unblock_stop_signals();
// The signal that asked to stop, or 0.
int stop_signal();
// "SIGINT", "SIGTERM", "SIGHUP", or "signal N".
std::string signal_name(int signal);
// Exit code of a process stopped by `signal`, as the shell reports one killed by it.
inline int exit_code_for_signal(int signal) { return 128 + signal; }

}  // namespace poisonsim
