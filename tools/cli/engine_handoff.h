#pragma once
// How the light front hands a verb to poisonsim-engine.

namespace poisonsim::cli {

// True when argv names a verb that is not light (verb_table.h), or asks for `--help-all` (every
// verb's options, which only the engine has).
bool needs_engine(int argc, const char* const* argv);

// Sets the numeric libraries' variables (numeric_runtime.h) and replaces this process with
// poisonsim-engine from this executable's directory, same arguments. Returns only to exit: when
// the engine cannot be started it says so in one `error:` line and exits with code 1.
[[noreturn]] void hand_to_engine(char** argv);

}  // namespace poisonsim::cli
