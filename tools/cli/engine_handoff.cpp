#include "tools/cli/engine_handoff.h"

#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <string>

#include <fmt/format.h>

#include "pipeline/runtime/numeric_runtime.h"
#include "tools/cli/verb_table.h"

namespace poisonsim::cli {

bool needs_engine(int argc, const char* const* argv) {
  for (int i = 1; i < argc; ++i)
    if (std::strcmp(argv[i], "--help-all") == 0) return true;
  const std::string word = verb_word(argc, argv);
  for (const Verb& verb : verbs())
    if (word == verb.name) return !verb.light;
  return false;  // no verb, or a misspelled one: the front's parser says which
}

void hand_to_engine(char** argv) {
  std::error_code error;
  const auto self = std::filesystem::read_symlink("/proc/self/exe", error);
  const auto engine =
      (error ? std::filesystem::path(argv[0]) : self).parent_path() / "poisonsim-engine";
  prepare_engine_environment();
  execv(engine.c_str(), argv);
  fmt::print(stderr,
             "error: cannot start {}: {} (poisonsim runs its verbs there: build the target "
             "poisonsim-engine, or install it beside poisonsim)\n",
             engine.string(), std::strerror(errno));
  std::exit(1);
}

}  // namespace poisonsim::cli
