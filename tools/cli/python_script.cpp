#include "tools/cli/python_script.h"

#include <signal.h>
#include <string.h>
#include <unistd.h>

#include <cstdlib>
#include <system_error>

#include <fmt/format.h>

#include "pipeline/trace/hdf5_preflight.h"
#include "sim/util/error.h"
#include "tools/cli/commands.h"
#include "tools/sweep/child_processes.h"

namespace poisonsim::cli {

void run_python_script(const std::vector<std::string>& arguments, const std::string& what,
                       const std::string& modules, const std::vector<std::string>& hdf5_inputs) {
  // h5py uses the same HDF5 library, with the same weaknesses on corrupt files: the trace
  // reader's guards first, so a file that would crash the script is one error line here.
  for (const auto& input : hdf5_inputs) guard_hdf5_input(input);
  if (access(kPython, X_OK) != 0)
    throw UserError(kPython, "not found: " + what + " needs Debian's python3 with " + modules +
                                 "; run tools/scripts/setup.sh");
  std::vector<std::string> argv{kPython};
  argv.insert(argv.end(), arguments.begin(), arguments.end());
  int code = 0;
  try {
    code = run_child(argv);
  } catch (const std::system_error& e) {
    throw UserError(kPython, std::string("cannot run it (") + e.code().message() +
                                 "): run tools/scripts/setup.sh to install Python and " + modules);
  }
  if (code > 128) {
    const int signal = code - 128;
    // Ctrl-C or a stop request reached the script too: stopped, as any verb is.
    if (signal == SIGINT || signal == SIGTERM || signal == SIGHUP) throw StoppedBySignal(signal);
    // A crash (HDF5 in h5py on a file the preflight let through): one line, no traceback.
    throw UserError(arguments.front(),
                    fmt::format("{} died of signal {} ({}) reading its inputs: one of them is "
                                "probably corrupt",
                                what, signal, strsignal(signal)));
  }
  if (code != 0) std::exit(code);
}

}  // namespace poisonsim::cli
