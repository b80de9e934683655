#pragma once
// How the console writes the numbers that `run`, `resume`, `validate` and `inspect` all print, so
// that the same quantity reads the same everywhere (tests/console_summary_test.py compares them).
#include <string>

namespace poisonsim::cli {

// Simulated seconds for people: at most three decimals (a simulated millisecond; the event
// times themselves are full doubles in the trace), without trailing zeros, so a 600 s scenario
// reads "600" and a run stopped between events "246.455", not "246.45514358431623".
std::string simulated_seconds(double seconds);

// What a source is called on the console and in --json: the scenario block it comes from.
inline const char* source_kind(bool is_poison) { return is_poison ? "attacker" : "stream"; }

}  // namespace poisonsim::cli
