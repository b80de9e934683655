#pragma once
// Prefix and suffix tests of strings (C++17 has no std::string::starts_with).
#include <string>
#include <string_view>

namespace poisonsim {

inline bool starts_with(std::string_view text, std::string_view prefix) {
  return text.substr(0, prefix.size()) == prefix;
}

inline bool ends_with(std::string_view text, std::string_view suffix) {
  return text.size() >= suffix.size() && text.substr(text.size() - suffix.size()) == suffix;
}

}  // namespace poisonsim
