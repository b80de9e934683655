// Command-line mistakes in the one-line `error:` form every other error has, with "did you
// mean ...?" for a misspelled option or verb (CLI11's own text lists the stray words only).
#include <algorithm>
#include <cstdlib>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "sim/util/nearest_word.h"
#include "tools/cli/commands.h"
#include "tools/cli/program_name.h"
#include "tools/cli/verb_table.h"

namespace poisonsim::cli {
namespace {

std::vector<std::string> subcommand_names(const CLI::App& app) {
  std::vector<std::string> names;
  for (const auto* sub : app.get_subcommands([](const CLI::App*) { return true; }))
    names.push_back(sub->get_name());
  return names;
}

// Every option name valid at `verb` as typed (--name, -n): its own and, since global options
// may follow the verb (fallthrough), those of every verb above it.
std::vector<std::string> option_names(const CLI::App* verb) {
  std::vector<std::string> names;
  for (const CLI::App* app = verb; app; app = app->get_parent())
    for (const CLI::Option* option : app->get_options()) {
      for (const auto& name : option->get_lnames()) names.push_back("--" + name);
      for (const auto& name : option->get_snames()) names.push_back("-" + name);
    }
  return names;
}

bool is_number(const std::string& word) {
  char* end = nullptr;
  std::strtod(word.c_str(), &end);
  return !word.empty() && end == word.c_str() + word.size();
}

// "<word>: not a verb of <verb>, did you mean <sub-verb>? (expected one of: ...)".
std::string not_a_sub_verb(const std::string& word, const CLI::App* verb) {
  const auto subs = subcommand_names(*verb);
  const auto best = nearest_word(word, subs);
  return fmt::format("{}: not a verb of {}{} (expected one of: {})", word, verb->get_name(),
                     best ? fmt::format(", did you mean {}?", *best) : "", fmt::join(subs, ", "));
}

// The word after `verb`'s name in argv that is no option ("" when there is none): what was
// meant as its sub-verb (bench servin).
std::string word_after(const CLI::App* verb, int argc, const char* const* argv) {
  for (int i = 1; i + 1 < argc; ++i)
    if (argv[i] == verb->get_name() && argv[i + 1][0] != '-') return argv[i + 1];
  return "";
}

// "unknown option --x, did you mean --y?" for the first word of argv that looks like an option
// (its name, without `=value`) and is none valid at `verb`; "" when every one is known. Checked
// whatever CLI11 complained of: with a misspelled option, "scenario is required" or "The
// following arguments were not expected" are only consequences.
std::string unknown_option(const CLI::App* verb, int argc, const char* const* argv) {
  const auto options = option_names(verb);
  for (int i = 1; i < argc; ++i) {
    const std::string word = argv[i];
    if (word == "--") break;  // the rest are values
    if (word.size() < 2 || word[0] != '-' || is_number(word)) continue;
    const std::string name = word.substr(0, word.find('='));
    if (std::find(options.begin(), options.end(), name) != options.end()) continue;
    const auto best = nearest_word(name, options);
    return best ? fmt::format("unknown option {}, did you mean {}?", name, *best)
                : fmt::format("unknown option {}", name);
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
    const auto verbs = subcommand_names(app);
    const std::string word = verb_word(argc, argv);
    if (!word.empty() && std::find(verbs.begin(), verbs.end(), word) == verbs.end()) {
      const auto best = nearest_word(word, verbs);
      return fmt::format("{}: not a poisonsim verb{} (expected one of: {}; see {} --help)", word,
                         best ? fmt::format(", did you mean {}?", *best) : "",
                         fmt::join(verbs, ", "), program_name());
    }
    const std::string unknown = unknown_option(&app, argc, argv);
    return fmt::format("poisonsim: {}; expected a verb: {} (see {} --help)",
                       unknown.empty() ? message : unknown, fmt::join(verbs, ", "), program_name());
  }
  // The innermost verb given (bench serving, not bench).
  const CLI::App* verb = parsed.back();
  std::string verbs = verb->get_name();
  while (!verb->get_subcommands().empty()) {
    verb = verb->get_subcommands().back();
    verbs += " " + verb->get_name();
  }
  std::string unknown = unknown_option(verb, argc, argv);
  // A verb that needs a sub-verb and got another word: CLI11 says "A subcommand is required" or
  // that the word was not expected.
  const std::string word = word_after(verb, argc, argv);
  if (unknown.empty() && !subcommand_names(*verb).empty() && !word.empty())
    unknown = not_a_sub_verb(word, verb);
  // The message names the tool; the hint, the program as it was started (not on PATH after a
  // build: build/poisonsim).
  return fmt::format("poisonsim {}: {} (see {} {} --help)", verbs,
                     unknown.empty() ? message : unknown, program_name(), verbs);
}

}  // namespace poisonsim::cli
