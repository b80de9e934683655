#include "tools/cli/python_script.h"

#include <unistd.h>

#include <cstdlib>
#include <system_error>

#include <spdlog/spdlog.h>

#include "sim/util/error.h"
#include "tools/sweep/child_processes.h"

namespace poisonsim::cli {

void run_python_script(const std::vector<std::string>& arguments, const std::string& what,
                       const std::string& modules) {
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
  if (code >= 128) {
    spdlog::error("the {} script was killed by signal {}", what, code - 128);
    code = 1;
  }
  if (code != 0) std::exit(code);
}

}  // namespace poisonsim::cli
