#include "pipeline/python/python_runtime.h"

#include <unistd.h>

#include <cstdio>
#include <mutex>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "sim/util/error.h"

namespace poisonsim::python {
namespace {

// Standard error redirected to a temporary file while alive; text() reads what was written.
class CapturedStderr {
 public:
  CapturedStderr() : file_(std::tmpfile()) {
    std::fflush(stderr);
    saved_ = dup(STDERR_FILENO);
    if (file_ && saved_ >= 0) dup2(fileno(file_), STDERR_FILENO);
  }
  ~CapturedStderr() {
    restore();
    if (file_) std::fclose(file_);
  }
  CapturedStderr(const CapturedStderr&) = delete;
  CapturedStderr& operator=(const CapturedStderr&) = delete;
  std::string text() {
    restore();
    std::string out;
    if (!file_) return out;
    std::rewind(file_);
    char buffer[4096];
    for (size_t n; (n = std::fread(buffer, 1, sizeof buffer, file_)) > 0;) out.append(buffer, n);
    return out;
  }

 private:
  void restore() {
    if (saved_ < 0) return;
    std::fflush(stderr);
    dup2(saved_, STDERR_FILENO);
    close(saved_);
    saved_ = -1;
  }
  std::FILE* file_;
  int saved_ = -1;
};

}  // namespace

void ensure_interpreter() {
  static std::once_flag once;
  std::call_once(once, [] {
    if (Py_IsInitialized()) return;  // a host process started one (it manages the GIL)
    // No signal handlers: SIGINT and SIGTERM stay the simulator's (a stop at the next event).
    // Started through PyConfig rather than Py_InitializeEx, so that a Python installation that
    // cannot start (a bad PYTHONHOME) is an error line, not Python's fatal-error abort.
    PyConfig config;
    PyConfig_InitPythonConfig(&config);
    config.install_signal_handlers = 0;
    config.parse_argv = 0;
    // The interpreter found at build time (Debian's), not whichever `python3` is first on PATH:
    // sys.executable is what a plug-in's subprocesses would run.
    PyStatus status =
        PyConfig_SetBytesString(&config, &config.program_name, POISONSIM_PYTHON_EXECUTABLE);
    if (!PyStatus_Exception(status)) {
      // Python prints its path configuration to stderr when it fails: that goes to the log
      // (-v), the error line alone to the user.
      CapturedStderr captured;
      status = Py_InitializeFromConfig(&config);
      if (PyStatus_Exception(status)) spdlog::debug("python start-up:\n{}", captured.text());
    }
    PyConfig_Clear(&config);
    if (PyStatus_Exception(status))
      throw UserError("python", fmt::format("the embedded Python interpreter ({}) cannot start: "
                                            "{}{}",
                                            POISONSIM_PYTHON_EXECUTABLE,
                                            status.func ? std::string(status.func) + ": " : "",
                                            status.err_msg ? status.err_msg : "unknown error"));
    std::string missing;
    try {
      py::module_::import("numpy");
      py::module_::import("yaml");
    } catch (py::error_already_set& e) {
      missing = e.what();
    }
    const std::string executable = py::str(py::module_::import("sys").attr("executable"));
    // The thread that started the interpreter gives the GIL up; each call takes it back.
    PyEval_SaveThread();
    if (!missing.empty())
      throw UserError("python", fmt::format("the embedded interpreter ({}) cannot import what "
                                            "python stages need (python3-numpy, python3-yaml): {}",
                                            executable, missing));
  });
}

namespace {

// One line: the first line of str(exception), with the rest (if any) marked as cut.
std::string one_line(const std::string& text) {
  const auto end = text.find('\n');
  return end == std::string::npos ? text : text.substr(0, end) + " ...";
}

std::string where_of(const CodeSite& site, int line) {
  return line > 0 ? fmt::format("{}:{}", site.file, line) : site.file;
}

std::string in_what(const CodeSite& site) {
  return site.what.empty() ? "" : fmt::format(" (in {})", site.what);
}

}  // namespace

int definition_line(const py::handle& object) {
  try {
    py::object target = py::reinterpret_borrow<py::object>(object);
    if (py::hasattr(target, "__func__")) target = target.attr("__func__");  // a bound method
    if (py::hasattr(target, "__code__"))
      return target.attr("__code__").attr("co_firstlineno").cast<int>();
    const auto inspect = py::module_::import("inspect");
    return inspect.attr("getsourcelines")(target).cast<py::tuple>()[1].cast<int>();
  } catch (const std::exception&) {
    PyErr_Clear();
    return 0;
  }
}

void throw_user_error(py::error_already_set& e, const CodeSite& site) {
  int line = site.line;
  std::string message;
  {
    const py::object type = e.type();
    const py::object value = e.value();
    // Null when no Python frame raised it (a C function such as object.__init__).
    const py::object trace = e.trace() ? e.trace() : py::none();
    const std::string name = py::str(type.attr("__name__"));
    if (PyErr_GivenExceptionMatches(type.ptr(), PyExc_SyntaxError)) {
      // Where the parser stopped, not where compile() was called.
      const py::object lineno = py::getattr(value, "lineno", py::none());
      if (!lineno.is_none()) line = lineno.cast<int>();
      const py::object msg = py::getattr(value, "msg", value);
      message = fmt::format("{}: {}", name, one_line(py::str(msg)));
    } else {
      for (py::object tb = trace; !tb.is_none(); tb = tb.attr("tb_next")) {
        const std::string frame_file =
            py::str(tb.attr("tb_frame").attr("f_code").attr("co_filename"));
        if (frame_file == site.file) line = tb.attr("tb_lineno").cast<int>();
      }
      message = fmt::format("{}: {}", name, one_line(py::str(value)));
    }
    try {
      const auto format = py::module_::import("traceback").attr("format_exception");
      const std::string text = py::str(py::str("").attr("join")(format(type, value, trace)));
      spdlog::debug("python traceback ({}):\n{}", site.file, text);
    } catch (py::error_already_set&) {
      PyErr_Clear();
    }
  }
  throw UserError(where_of(site, line), message + in_what(site));
}

void throw_bad_value(const CodeSite& site, const std::string& problem) {
  throw UserError(where_of(site, site.line), problem + in_what(site));
}

}  // namespace poisonsim::python
