#pragma once
// The embedded Python interpreter of `type: python` stages (pybind11), and how an error raised in
// the user's code becomes one `error: <file>:<line>: <message>` line. Only the python stages
// (guards/python/, attackers/python/) include it: it includes pybind11, which nothing else should.
#include <string>

#include <pybind11/embed.h>

namespace poisonsim::python {

namespace py = pybind11;

// Starts the interpreter the first time any stage needs it (once per process, from any thread),
// imports NumPy, then releases the GIL: every call into Python holds it (py::gil_scoped_acquire)
// only while it runs. The interpreter is never finalized: plug-in objects may outlive main().
// UserError when NumPy cannot be imported.
void ensure_interpreter();

// Where an error in the user's code is reported: the file as the scenario names it (tracebacks
// use the same name) and a line to fall back on when no frame of the traceback is in that file
// (the `def` of the method that returned a wrong value, the class statement).
struct CodeSite {
  std::string file;
  int line = 0;      // 0: none known
  std::string what;  // "MyGuard.judge", for the message
};

// Throws UserError "<file>:<line>" / "<ExceptionType>: <message> (in <what>)" for the Python
// exception `e`: a SyntaxError names its own line, any other the innermost frame of the
// traceback in the user's file. The full traceback is logged at debug level (shown under -v).
[[noreturn]] void throw_user_error(py::error_already_set& e, const CodeSite& site);

// Throws UserError "<file>:<line>" / "<problem> (in <what>)" for a wrong value the user's code
// returned.
[[noreturn]] void throw_bad_value(const CodeSite& site, const std::string& problem);

// The line of a function's or class's definition in the user's file (0 when unknown).
int definition_line(const py::handle& object);

}  // namespace poisonsim::python
