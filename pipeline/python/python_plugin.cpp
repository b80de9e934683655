#include "pipeline/python/python_plugin.h"

#include <filesystem>
#include <map>

#include <fmt/format.h>
#include <pybind11/numpy.h>
#include <yaml-cpp/yaml.h>

#include "pipeline/data/file_bytes.h"
#include "pipeline/data/sha256.h"
#include "pipeline/runtime/plugin_files.h"
#include "pipeline/scenario/config_node.h"
#include "sim/kernel/state_archive.h"
#include "sim/util/error.h"

namespace poisonsim::python {
namespace {

// The user's file as a module, executed once per process per (file, content): the class object
// stays the same across the validation's instance and the run's, so pickled state loads back.
// The cache lives as long as the interpreter (never freed: objects must die with the GIL held).
py::object load_module(const std::string& file, const std::vector<uint8_t>& bytes,
                       const std::string& sha256) {
  static auto* modules = new std::map<std::string, py::object>();
  const std::string key = sha256 + " " + file;
  if (const auto it = modules->find(key); it != modules->end()) return it->second;
  const CodeSite site{file, 0, "loading the file"};
  try {
    const auto builtins = py::module_::import("builtins");
    const auto source = py::bytes(reinterpret_cast<const char*>(bytes.data()), bytes.size());
    const py::object code = builtins.attr("compile")(source, file, "exec");
    // A module name of its own, registered so pickle finds the user's classes in saved state.
    const std::string name = "poisonsim_plugin_" + sha256.substr(0, 16);
    py::object module = py::module_::import("types").attr("ModuleType")(name);
    module.attr("__file__") = file;
    py::module_::import("sys").attr("modules")[py::str(name)] = module;
    // The file's folder comes first on the path: a plug-in may import its own helpers.
    const py::object os_path = py::module_::import("os.path");
    const py::object folder = os_path.attr("dirname")(os_path.attr("abspath")(file));
    py::list path = py::module_::import("sys").attr("path");
    if (!path.contains(folder)) path.insert(0, folder);
    builtins.attr("exec")(code, module.attr("__dict__"));
    modules->emplace(key, module);
    return module;
  } catch (py::error_already_set& e) {
    throw_user_error(e, site);
  }
}

py::object find_class(const py::object& module, const std::string& file,
                      const std::string& class_name) {
  const py::dict names = module.attr("__dict__");
  if (!names.contains(class_name)) {
    std::vector<std::string> classes;
    for (const auto& [name, value] : names)
      if (py::isinstance<py::type>(value) &&
          py::str(value.attr("__module__")).cast<std::string>() ==
              py::str(module.attr("__name__")).cast<std::string>())
        classes.push_back(py::str(name));
    throw UserError(
        file, fmt::format("no class '{}' in the file (its classes: {})", class_name,
                          classes.empty() ? "none" : fmt::format("{}", fmt::join(classes, ", "))));
  }
  return names[py::str(class_name)];
}

py::object load_class(const PluginSpec& spec) {
  const auto bytes = read_file_bytes(spec.file);
  const std::string sha256 = sha256_hex(bytes);
  if (sha256 != spec.sha256)
    throw UserError(spec.file, fmt::format("the file changed since the scenario was read (sha256 "
                                           "{}, now {})",
                                           spec.sha256, sha256));
  return find_class(load_module(spec.file, bytes, sha256), spec.file, spec.class_name);
}

}  // namespace

PluginSpec read_plugin_spec(ConfigNode& node, const std::string& kind,
                            const std::vector<std::string>& required) {
  PluginSpec spec;
  spec.kind = kind;
  spec.file = node.required<std::string>("file");
  spec.class_name = node.required<std::string>("class");
  std::error_code error;
  // From the working directory (as data.path), or else from the scenario file's folder (so a
  // shipped scenario names the plug-in beside it wherever it is run from).
  const std::filesystem::path beside = std::filesystem::path(node.file()).parent_path() / spec.file;
  if (std::filesystem::path(spec.file).is_relative() &&
      !std::filesystem::exists(spec.file, error) && std::filesystem::exists(beside, error))
    spec.file = beside.lexically_normal().string();
  if (!std::filesystem::exists(spec.file, error))
    node.fail("file", fmt::format("{}: no such file (the {}'s Python file, read from the working "
                                  "directory {})",
                                  spec.file, kind, std::filesystem::current_path(error).string()));
  std::vector<uint8_t> bytes;
  try {
    bytes = read_file_bytes(spec.file, uint64_t{64} << 20);
  } catch (const UserError& e) {
    node.fail("file", fmt::format("{}: {}", spec.file, e.problem()));
  }
  ensure_interpreter();
  py::gil_scoped_acquire gil;
  const std::string sha256 = sha256_hex(bytes);
  // Recorded in the resolved scenario (the trace's and the checkpoint's): a rerun or a resume
  // from it refuses a file that changed.
  spec.sha256 = node.get<std::string>("sha256", sha256);
  if (spec.sha256 != sha256)
    node.fail("sha256", fmt::format("{} has sha256 {}: the file changed since this scenario was "
                                    "recorded",
                                    spec.file, sha256));
  YAML::Node options(YAML::NodeType::Map);
  for (const auto& key : node.unread_keys()) options[key] = node.take_as_is(key);
  YAML::Emitter out;
  out << YAML::Flow << options;
  spec.options_yaml = out.c_str();
  record_plugin_file({spec.file, std::filesystem::absolute(spec.file, error).string(), sha256});

  const py::object cls =
      find_class(load_module(spec.file, bytes, sha256), spec.file, spec.class_name);
  const int class_line = definition_line(cls);
  for (const auto& method : required) {
    if (!py::hasattr(cls, method.c_str()) || !PyCallable_Check(cls.attr(method.c_str()).ptr()))
      throw UserError(class_line > 0 ? fmt::format("{}:{}", spec.file, class_line) : spec.file,
                      fmt::format("class {} has no method {}() (a python {} needs it: "
                                  "docs/plugins.md)",
                                  spec.class_name, method, kind));
  }
  PluginObject check(spec);  // the constructor's own checks of its options, now
  return spec;
}

PluginObject::PluginObject(const PluginSpec& spec) : spec_(spec) {
  ensure_interpreter();
  py::gil_scoped_acquire gil;
  const py::object cls = load_class(spec_);
  py::object options = py::module_::import("yaml").attr("safe_load")(spec_.options_yaml);
  if (options.is_none()) options = py::dict();
  try {
    // A class without a constructor of its own takes no options.
    const bool own_init =
        !cls.attr("__init__").is(py::module_::import("builtins").attr("object").attr("__init__"));
    instance_ = own_init ? cls(options) : cls();
  } catch (py::error_already_set& e) {
    const int line = py::hasattr(cls, "__init__") ? definition_line(cls.attr("__init__")) : 0;
    throw_user_error(e, CodeSite{spec_.file, line > 0 ? line : definition_line(cls),
                                 spec_.class_name + "(options)"});
  }
}

PluginObject::~PluginObject() {
  py::gil_scoped_acquire gil;
  instance_ = py::object();
}

bool PluginObject::flag(const char* name) const {
  return py::hasattr(instance_, name) && py::bool_(instance_.attr(name)).cast<bool>();
}

bool PluginObject::has(const char* method) const {
  return py::hasattr(instance_, method) && PyCallable_Check(instance_.attr(method).ptr());
}

CodeSite PluginObject::site(const char* method) const {
  const int line = has(method) ? definition_line(instance_.attr(method)) : 0;
  return CodeSite{spec_.file, line, spec_.class_name + "." + method};
}

py::object PluginObject::call(const char* method, const py::object& argument) const {
  try {
    return instance_.attr(method)(argument);
  } catch (py::error_already_set& e) {
    throw_user_error(e, site(method));
  }
}

py::object PluginObject::call(const char* method) const {
  try {
    return instance_.attr(method)();
  } catch (py::error_already_set& e) {
    throw_user_error(e, site(method));
  }
}

std::optional<std::string> PluginObject::pickled_state() const {
  py::gil_scoped_acquire gil;
  if (!has("state") || !has("load_state")) return std::nullopt;
  const py::object state = call("state");
  try {
    return py::module_::import("pickle").attr("dumps")(state).cast<std::string>();
  } catch (py::error_already_set& e) {
    throw_user_error(e, site("state"));
  }
}

void PluginObject::restore_pickled(const std::optional<std::string>& bytes,
                                   const std::string& where) const {
  if (!bytes)
    throw UserError(where, fmt::format("the checkpoint holds no state of the python {} {} ({}): "
                                       "its class has no state() and load_state(), so a resumed "
                                       "run could not continue it; add both (docs/plugins.md) "
                                       "or rerun from the start",
                                       spec_.kind, spec_.class_name, spec_.file));
  py::gil_scoped_acquire gil;
  if (!has("load_state"))
    throw UserError(where, fmt::format("class {} ({}) has no load_state(): cannot resume",
                                       spec_.class_name, spec_.file));
  py::object state;
  try {
    state = py::module_::import("pickle").attr("loads")(py::bytes(*bytes));
  } catch (py::error_already_set& e) {
    throw_user_error(e, site("load_state"));
  }
  call("load_state", state);
}

void PluginObject::save_state(StateOut& out, const char* section) const {
  out.section(section);
  const auto state = pickled_state();
  out(state.has_value(), state.value_or(std::string()));
}

void PluginObject::load_state(StateIn& in, const char* section) const {
  in.section(section);
  bool has_state = false;
  std::string bytes;
  in(has_state, bytes);
  restore_pickled(has_state ? std::optional<std::string>(bytes) : std::nullopt, in.where());
}

std::string type_name(const py::handle& value) {
  return py::str(py::type::of(value).attr("__name__")).cast<std::string>();
}

std::string shape_text(const py::array& array) {
  const std::vector<ssize_t> shape(array.shape(), array.shape() + array.ndim());
  return fmt::format("({}{})", fmt::join(shape, ", "), shape.size() == 1 ? "," : "");
}

std::vector<uint8_t> bool_mask(const py::object& value, size_t n, const CodeSite& site) {
  const std::string expected = fmt::format("a NumPy bool array of shape ({},)", n);
  if (!py::isinstance<py::array>(value))
    throw_bad_value(site, fmt::format("returned {}, expected {}", type_name(value), expected));
  const auto array = py::reinterpret_borrow<py::array>(value);
  if (array.ndim() != 1 || static_cast<size_t>(array.shape(0)) != n)
    throw_bad_value(site, fmt::format("returned an array of shape {}, expected {}",
                                      shape_text(array), expected));
  const char kind = array.dtype().kind();
  if (kind == 'f' || kind == 'c') {
    const auto isnan = py::module_::import("numpy").attr("isnan")(array);
    const auto any = isnan.attr("nonzero")().cast<py::tuple>()[0].cast<py::array_t<int64_t>>();
    if (any.size() > 0)
      throw_bad_value(site, fmt::format("returned NaN for sample {} of {}: expected {}", any.at(0),
                                        n, expected));
  }
  if (kind != 'b')
    throw_bad_value(site, fmt::format("returned an array of dtype {}, expected {}",
                                      py::str(array.dtype()).cast<std::string>(), expected));
  const auto mask = py::array_t<bool, py::array::c_style | py::array::forcecast>::ensure(array);
  std::vector<uint8_t> out(n);
  for (size_t i = 0; i < n; ++i) out[i] = mask.at(static_cast<ssize_t>(i)) ? 1 : 0;
  return out;
}

}  // namespace poisonsim::python
