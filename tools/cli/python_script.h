#pragma once
// Verbs whose work is a Python script of the source tree (report, export): run with Debian's
// interpreter, its exit code passed through.
#include <string>
#include <vector>

namespace poisonsim::cli {

// Debian's interpreter, where tools/scripts/setup.sh installs python3-h5py and friends; a python3 found
// first on PATH (pyenv, a virtualenv) would lack them.
constexpr const char* kPython = "/usr/bin/python3";

// Runs kPython with `arguments` (the script first), after the trace reader's guards on each of
// `hdf5_inputs` (pipeline/trace/hdf5_preflight.h; files that are not HDF5 are left to the
// script). UserError when kPython is missing (saying the script needs `modules`, e.g.
// "python3-h5py and python3-pandas"), cannot start, or dies of a signal other than a stop
// request (StoppedBySignal); exits with the script's code when it is not 0 (the script printed
// its own error line).
void run_python_script(const std::vector<std::string>& arguments, const std::string& what,
                       const std::string& modules, const std::vector<std::string>& hdf5_inputs);

}  // namespace poisonsim::cli
