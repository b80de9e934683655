// Command-line mistakes in the one-line `error:` form every other error has.
#include <algorithm>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "tools/cli/commands.h"

namespace poisonsim::cli {
namespace {

// The first word of argv that is neither an option nor the value of a global option: what
// the user meant as the verb ("" when there is none).
std::string first_word(int argc, const char* const* argv) {
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--threads" || arg == "--log-level") {
      ++i;  // its value
      continue;
    }
    if (!arg.empty() && arg[0] != '-') return arg;
  }
  return "";
}

}  // namespace

std::string describe_parse_error(const CLI::App& app, const CLI::ParseError& error, int argc,
                                 const char* const* argv) {
  // CLI11's messages may span lines; the error line must not.
  std::string message = error.what();
  for (auto& c : message)
    if (c == '\n') c = ' ';
  const auto parsed = app.get_subcommands();
  if (parsed.empty()) {
    std::vector<std::string> verbs;
    for (const auto* sub : app.get_subcommands([](const CLI::App*) { return true; }))
      verbs.push_back(sub->get_name());
    const std::string word = first_word(argc, argv);
    if (!word.empty() && std::find(verbs.begin(), verbs.end(), word) == verbs.end())
      return fmt::format("{}: not a poisonsim verb; expected one of: {} (see poisonsim --help)",
                         word, fmt::join(verbs, ", "));
    return fmt::format("poisonsim: {}; expected a verb: {} (see poisonsim --help)", message,
                       fmt::join(verbs, ", "));
  }
  // The innermost verb given (bench serving, not bench).
  const CLI::App* verb = parsed.back();
  std::string name = "poisonsim " + verb->get_name();
  while (!verb->get_subcommands().empty()) {
    verb = verb->get_subcommands().back();
    name += " " + verb->get_name();
  }
  return fmt::format("{}: {} (see {} --help)", name, message, name);
}

}  // namespace poisonsim::cli
