#pragma once
// One name table per enum: parsing a scenario value, printing it back and the list of choices a
// key accepts all come from it, so a new value is named in one place.
#include <initializer_list>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "sim/util/error.h"

namespace poisonsim {

template <class E>
class EnumNames {
 public:
  // `what` names the setting in messages ("label rule"); entries in the order users read them.
  EnumNames(const char* what, std::initializer_list<std::pair<E, const char*>> entries)
      : what_(what), entries_(entries) {}

  // The value called `text`; UserError at `where` listing the choices otherwise.
  E parse(const std::string& text, const std::string& where) const {
    for (const auto& [value, name] : entries_)
      if (text == name) return value;
    throw UserError(where, "unknown " + what_ + " '" + text + "', expected " + choices_text());
  }

  // The value called `text`, or nullopt (for callers that report the error themselves).
  std::optional<E> find(const std::string& text) const {
    for (const auto& [value, name] : entries_)
      if (text == name) return value;
    return std::nullopt;
  }

  std::string name(E value) const {
    for (const auto& [candidate, name] : entries_)
      if (candidate == value) return name;
    return "?";
  }

  // Every name, or those of `subset` (a key that accepts only some values) in table order.
  std::vector<std::string> names(const std::vector<E>& subset = {}) const {
    std::vector<std::string> out;
    for (const auto& [value, name] : entries_)
      if (subset.empty() || contains(subset, value)) out.emplace_back(name);
    return out;
  }

  // "a, b or c"
  std::string choices_text() const {
    std::string out;
    for (size_t i = 0; i < entries_.size(); ++i) {
      if (i > 0) out += i + 1 == entries_.size() ? " or " : ", ";
      out += entries_[i].second;
    }
    return out;
  }

 private:
  static bool contains(const std::vector<E>& values, E value) {
    for (E v : values)
      if (v == value) return true;
    return false;
  }

  std::string what_;
  std::vector<std::pair<E, const char*>> entries_;
};

}  // namespace poisonsim
