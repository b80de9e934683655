#pragma once
// Every verb of the CLI, in the order `--help` lists them, with its one-line summary, and which of
// them the light front runs itself. The front (tools/cli/front_main.cpp) and the engine
// (tools/cli/main.cpp) list the same verbs from here, so their `--help` cannot drift apart.
#include <string>
#include <vector>

namespace poisonsim::cli {

struct Verb {
  const char* name;
  // Needs no numeric library (LibTorch, oneDNN, OpenBLAS): the front runs it without loading
  // them. Every other verb is handed to the engine, which loads them.
  bool light;
  const char* summary;
};

const std::vector<Verb>& verbs();

// The summary of the verb `name` (throws std::logic_error for a name not in the table).
const char* verb_summary(const std::string& name);

// The first word of argv that is neither an option nor the value of a global option: what the
// user meant as the verb ("" when there is none).
std::string verb_word(int argc, const char* const* argv);

}  // namespace poisonsim::cli
