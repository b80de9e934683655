#include "guards/python/python_gate.h"

#include <cmath>
#include <limits>

#include <fmt/format.h>

#include "pipeline/trace/trace_rows.h"
#include "sim/kernel/state_archive.h"

namespace poisonsim::python {
namespace {

bool is_bool(const py::handle& value) {
  return py::isinstance<py::bool_>(value) ||
         py::isinstance(value, py::module_::import("numpy").attr("bool_"));
}

// True/False, or (allow, reason, margin): anything else is the user's error at decide's line.
GateDecision decision_of(const py::object& value, const CodeSite& site) {
  const std::string expected = "expected True/False or a tuple (allow, reason, margin)";
  if (is_bool(value)) {
    if (value.cast<bool>()) return GateDecision::allowed();
    return GateDecision::refused(kPythonGateReason, std::numeric_limits<double>::quiet_NaN());
  }
  if (!py::isinstance<py::tuple>(value))
    throw_bad_value(site, fmt::format("returned {}, {}", type_name(value), expected));
  const auto tuple = value.cast<py::tuple>();
  if (tuple.size() != 3 || !is_bool(tuple[0]) || !py::isinstance<py::str>(tuple[1]) ||
      !(py::isinstance<py::float_>(tuple[2]) || py::isinstance<py::int_>(tuple[2]) ||
        py::isinstance(tuple[2], py::module_::import("numpy").attr("floating"))))
    throw_bad_value(site, fmt::format("returned a tuple of {} items, {} (bool, str, number)",
                                      tuple.size(), expected));
  const bool allow = tuple[0].cast<bool>();
  const std::string reason = tuple[1].cast<std::string>();
  if (allow) return GateDecision::allowed();
  if (reason.empty() || reason.size() > kTraceNameSize)
    throw_bad_value(site, fmt::format("returned the reason '{}': expected 1 to {} characters "
                                      "(the trace's retrains.gate_reason)",
                                      reason, kTraceNameSize));
  return GateDecision::refused(reason, tuple[2].cast<double>());
}

}  // namespace

GateDecision PythonGate::decide(const GateInput& input) {
  py::gil_scoped_acquire gil;
  const py::object candidate = py::module_::import("types").attr("SimpleNamespace")(
      py::arg("validation_loss_before") = input.validation_loss_before,
      py::arg("validation_loss_after") = input.validation_loss_after,
      py::arg("validation_accuracy_before") = input.validation_accuracy_before,
      py::arg("validation_accuracy_after") = input.validation_accuracy_after);
  return decision_of(object_.call("decide", candidate), object_.site("decide"));
}

void PythonGate::save_state(StateOut& out) const { object_.save_state(out, "gate/python"); }

void PythonGate::load_state(StateIn& in) { object_.load_state(in, "gate/python"); }

}  // namespace poisonsim::python
