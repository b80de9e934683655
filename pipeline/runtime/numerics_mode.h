#pragma once
// Numerics modes: which kernels the numeric libraries may choose, and so whether a run's numbers
// are the same on every machine (docs/architecture.md#determinism).
// - portable (the default): OpenBLAS, oneDNN and ATen are each pinned to one level that every
//   x86-64-v3 CPU has (AVX2 + FMA): OpenBLAS's Haswell kernels, oneDNN's AVX2 code, ATen's AVX2
//   kernels. Their blocking is fixed by the kernel, not read from the CPU's caches, and reductions
//   never depend on the machine's core count (training threads are part of the scenario), so the
//   same scenario and seed give byte-identical trace tables on every such CPU.
// - native: each library picks the fastest code for this CPU (AVX-512, AMX, ...): last digits,
//   and the decisions built on them, may differ between CPU kinds.
// The libraries read their choice from the environment when they load, so a process changes mode
// by re-executing itself (once). No torch here: main() uses this before anything else.
#include <optional>
#include <string>
#include <vector>

#include "pipeline/runtime/numeric_runtime.h"
#include "sim/util/enum_names.h"

namespace poisonsim {

enum class NumericsMode { portable, native };
const EnumNames<NumericsMode>& numerics_mode_names();
std::string to_string(NumericsMode mode);

// Set by the user (or a test) to force a mode over the scenario's `compute.numerics`.
extern const char* const kNumericsOverrideVariable;  // "POISONSIM_NUMERICS"
// The mode this process runs in; inherited by children (sweep runs), so they start in it.
extern const char* const kNumericsActiveVariable;  // "POISONSIM_NUMERICS_ACTIVE"
// The user's own values of the pinned variables, recorded by the first process of the tree:
// native mode restores them, portable mode's warning names those it replaced.
extern const char* const kNumericsOriginalVariable;  // "POISONSIM_NUMERICS_ORIGINAL"

// One library setting portable mode pins: the environment variable and its value.
struct KernelPin {
  const char* variable;
  const char* value;
};
const std::vector<KernelPin>& portable_kernel_pins();

// Whether portable mode can run here: it needs AVX2 and FMA.
bool cpu_supports_portable(const CpuInfo& cpu);

// The mode a new process starts in: POISONSIM_NUMERICS, else the inherited active mode, else
// portable; native where the CPU cannot run portable.
NumericsMode starting_numerics_mode();

// Sets the libraries' variables for `mode` in this process's environment (and the active mode).
// Returns whether any variable the libraries read at load time changed: then the process must
// re-execute for the mode to take effect.
bool set_numerics_environment(NumericsMode mode);

// The mode this process runs in (what set_numerics_environment last set).
NumericsMode numerics_mode();
// Whether POISONSIM_NUMERICS forces the mode (then the scenario's key is not followed).
bool numerics_mode_forced();

// "NAME=value ..." of the user's variables that portable mode replaced ("" when none, and in
// native mode), read from the record of the originals.
std::string replaced_user_settings();

}  // namespace poisonsim
