#include "pipeline/runtime/numerics_mode.h"

#include <cstdlib>
#include <cstring>
#include <map>
#include <sstream>

#include <fmt/format.h>

#include "sim/util/error.h"

namespace poisonsim {
namespace {

const char* environment(const char* name) {
  const char* value = std::getenv(name);
  return value && *value ? value : nullptr;
}

bool equals(const char* a, const char* b) { return a && b && std::strcmp(a, b) == 0; }

}  // namespace

const char* const kNumericsOverrideVariable = "POISONSIM_NUMERICS";
const char* const kNumericsActiveVariable = "POISONSIM_NUMERICS_ACTIVE";
// The user's own values of the pinned variables, as the first process of the tree found them:
// "NAME=value;" per variable, "NAME;" when unset. Native mode restores them; portable names those
// it replaced.
const char* const kNumericsOriginalVariable = "POISONSIM_NUMERICS_ORIGINAL";

const EnumNames<NumericsMode>& numerics_mode_names() {
  static const EnumNames<NumericsMode> names(
      "numerics mode", {{NumericsMode::portable, "portable"}, {NumericsMode::native, "native"}});
  return names;
}

std::string to_string(NumericsMode mode) { return numerics_mode_names().name(mode); }

const std::vector<KernelPin>& portable_kernel_pins() {
  // Each library's x86-64-v3 level. OpenBLAS's Haswell kernels take their blocking from constants
  // (not from the cache sizes, as its older kernels do); oneDNN caps its JIT at AVX2 (no AVX-512,
  // no AMX); ATen dispatches its AVX2 kernels, not its AVX-512 ones.
  static const std::vector<KernelPin> pins = {{"OPENBLAS_CORETYPE", "Haswell"},
                                              {"DNNL_MAX_CPU_ISA", "AVX2"},
                                              {"ATEN_CPU_CAPABILITY", "avx2"}};
  return pins;
}

bool cpu_supports_portable(const CpuInfo& cpu) { return cpu.has_avx2; }

NumericsMode starting_numerics_mode() {
  NumericsMode mode = NumericsMode::portable;
  const char* forced = environment(kNumericsOverrideVariable);
  const char* inherited = environment(kNumericsActiveVariable);
  if (const char* text = forced ? forced : inherited) {
    // A value no mode has is reported by apply_global_options (check_numerics_override);
    // here, before logging exists, the default stands.
    if (auto parsed = numerics_mode_names().find(text)) mode = *parsed;
  }
  if (mode == NumericsMode::portable && !cpu_supports_portable(cpu_info()))
    mode = NumericsMode::native;
  return mode;
}

namespace {

using OriginalValues = std::map<std::string, std::optional<std::string>>;

// The record of kNumericsOriginalVariable as it stands (empty when there is none).
OriginalValues recorded_originals() {
  OriginalValues out;
  if (const char* record = environment(kNumericsOriginalVariable)) {
    std::istringstream entries(record);
    for (std::string entry; std::getline(entries, entry, ';');) {
      const auto equals_sign = entry.find('=');
      if (equals_sign == std::string::npos)
        out[entry] = std::nullopt;
      else
        out[entry.substr(0, equals_sign)] = entry.substr(equals_sign + 1);
    }
  }
  return out;
}

// The originals of every pinned variable, the record brought up to date with this process's
// environment (and written back for our children).
OriginalValues original_values() {
  OriginalValues out = recorded_originals();
  // A variable that is not at its pin was set (or unset) by whoever started us, after the
  // record was made (a parent process's record reaches children started with another
  // environment): the current value is the original.
  std::string record;
  for (const auto& pin : portable_kernel_pins()) {
    const char* current = environment(pin.variable);
    if (!equals(current, pin.value) || !out.count(pin.variable))
      out[pin.variable] = current ? std::optional<std::string>(current) : std::nullopt;
    const auto& value = out[pin.variable];
    record += std::string(pin.variable) + (value ? "=" + *value : "") + ";";
  }
  setenv(kNumericsOriginalVariable, record.c_str(), 1);
  return out;
}

}  // namespace

bool set_numerics_environment(NumericsMode mode) {
  const auto originals = original_values();
  bool changed = false;
  for (const auto& pin : portable_kernel_pins()) {
    const std::optional<std::string>& original = originals.at(pin.variable);
    const char* current = environment(pin.variable);
    if (mode == NumericsMode::portable) {
      if (equals(current, pin.value)) continue;
      setenv(pin.variable, pin.value, 1);
      changed = true;
    } else if (!original && current) {
      unsetenv(pin.variable);  // ours, inherited from a portable process
      changed = true;
    } else if (original && !equals(current, original->c_str())) {
      setenv(pin.variable, original->c_str(), 1);
      changed = true;
    }
  }
  if (mode == NumericsMode::portable)
    setenv(kChosenBlasKernelVariable, "Haswell", 1);
  else if (!equals(environment(kChosenBlasKernelVariable), environment("OPENBLAS_CORETYPE")))
    unsetenv(kChosenBlasKernelVariable);  // portable's pin, gone with it
  setenv(kNumericsActiveVariable, to_string(mode).c_str(), 1);
  return changed;
}

NumericsMode numerics_mode() {
  const char* active = environment(kNumericsActiveVariable);
  const auto parsed = active ? numerics_mode_names().find(active) : std::nullopt;
  return parsed.value_or(NumericsMode::native);
}

bool numerics_mode_forced() {
  const char* forced = environment(kNumericsOverrideVariable);
  return forced && numerics_mode_names().find(forced).has_value();
}

std::string replaced_user_settings() {
  if (numerics_mode() != NumericsMode::portable) return "";
  const OriginalValues originals = recorded_originals();
  std::string replaced;
  for (const auto& pin : portable_kernel_pins()) {
    const auto found = originals.find(pin.variable);
    if (found == originals.end() || !found->second || *found->second == pin.value) continue;
    replaced += fmt::format("{}{}={}", replaced.empty() ? "" : " ", pin.variable, *found->second);
  }
  return replaced;
}

}  // namespace poisonsim
