#pragma once
// "Did you mean ...?" for a misspelled name: a scenario key, a command-line option or verb.
#include <cstddef>
#include <optional>
#include <string>
#include <vector>

namespace poisonsim {

// Levenshtein distance: insertions, deletions and substitutions, one each.
size_t edit_distance(const std::string& a, const std::string& b);

// The candidate nearest to `word` by edit distance (the first of equals), if close enough to be
// a likely typo: at most max(2, |word| / 3) edits, so "treshold" finds "threshold" while
// "frobnicate" finds nothing among short verbs.
std::optional<std::string> nearest_word(const std::string& word,
                                        const std::vector<std::string>& candidates);

}  // namespace poisonsim
