#pragma once
// One `type: python` stage's user code: the file and class the scenario names, the user's own
// keys (passed to the class's constructor as a dict), and one instance of that class. Shared by
// the python guard, sanitizer and gate (guards/python/) and the python attacker
// (attackers/python/); only those include it (it includes pybind11).
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <pybind11/numpy.h>

#include "pipeline/python/python_runtime.h"

namespace poisonsim {
class ConfigNode;
class StateIn;
class StateOut;
}  // namespace poisonsim

namespace poisonsim::python {

// What the scenario says, without Python objects: copied into the stage's factory.
struct PluginSpec {
  std::string file;  // as written (resolved from the working directory)
  std::string class_name;
  std::string sha256;        // of the file's bytes when the scenario was read
  std::string options_yaml;  // the user's own keys, a YAML mapping
  std::string kind;          // "guard", "sanitizer", "gate", "attacker": for messages
};

// Reads `file`, `class`, `sha256` and every other key of `node` (passed through), loads the file,
// checks that the class exists with every method in `required` and constructs it once (so a
// constructor that rejects its options fails at validation). UserError naming the scenario key
// (no file, a changed file) or the user's file and line (a syntax error, a missing class or
// method, an exception in the constructor).
PluginSpec read_plugin_spec(ConfigNode& node, const std::string& kind,
                            const std::vector<std::string>& required);

// An instance of the user's class. Every member takes the GIL while it runs (and only then).
class PluginObject {
 public:
  explicit PluginObject(const PluginSpec& spec);
  ~PluginObject();
  PluginObject(const PluginObject&) = delete;
  PluginObject& operator=(const PluginObject&) = delete;

  const PluginSpec& spec() const { return spec_; }
  // The class attribute `name` as a bool (false when absent); call with the GIL held.
  bool flag(const char* name) const;
  bool has(const char* method) const;
  bool has_attribute(const char* name) const { return py::hasattr(instance_, name); }
  py::object attribute(const char* name) const { return instance_.attr(name); }
  // Where an error in `method` is reported (its `def` line as the fallback).
  CodeSite site(const char* method) const;
  // Calls `method(args...)` with the GIL held by the caller; a Python exception becomes a
  // UserError (throw_user_error).
  py::object call(const char* method, const py::object& argument) const;
  py::object call(const char* method) const;

  // Checkpoints, in `section`: pickle.dumps(state()), or a mark that there is none when the class
  // lacks state() or load_state() (the run goes on; only a resume from it is refused).
  void save_state(StateOut& out, const char* section) const;
  // load_state(pickle.loads(bytes)); UserError at the checkpoint when it holds no state or the
  // class has no load_state().
  void load_state(StateIn& in, const char* section) const;

 private:
  std::optional<std::string> pickled_state() const;
  void restore_pickled(const std::optional<std::string>& bytes, const std::string& where) const;

  PluginSpec spec_;
  py::object instance_;
};

// For error lines about what the user's method returned: the value's Python type name ("list",
// "ndarray"), and an array's shape as Python prints it ("(3,)", "(2, 4)"). Call with the GIL.
std::string type_name(const py::handle& value);
std::string shape_text(const py::array& array);

// A bool array of `n` verdicts from what the user's `method` returned: UserError at the method's
// line unless it is a NumPy (or array-like) of dtype bool and shape (n,). Call with the GIL.
std::vector<uint8_t> bool_mask(const py::object& value, size_t n, const CodeSite& site);

}  // namespace poisonsim::python
