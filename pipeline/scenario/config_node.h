#pragma once
// Reading one mapping of a YAML scenario with validation that names file, line, column and key.
// Every value read (including defaults) is recorded in a "resolved" tree, so the fully resolved
// scenario can be written into the trace and a run reproduced from it. Keys that nobody read are
// reported by finish() with the nearest valid key as a suggestion.
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <yaml-cpp/yaml.h>

#include "sim/util/enum_names.h"

namespace poisonsim {

// A check on a value: returns "" when fine, otherwise what was expected ("a value >= 1").
template <class T>
using Check = std::function<std::string(const T&)>;

Check<double> at_least(double low);
Check<double> greater_than(double low);
Check<double> in_range(double low, double high);
Check<int64_t> int_at_least(int64_t low);
Check<int64_t> int_in_range(int64_t low, int64_t high);
Check<std::string> one_of(std::vector<std::string> choices);

// Where the values came from: the file, and which key paths a --set override replaced.
struct ConfigSource {
  std::string file;
  std::set<std::string> overridden;
};

class ConfigNode {
 public:
  // `path` is the dotted key path of this node ("" for the document, "attackers.0", ...).
  // Throws UserError if `node` is neither a mapping nor null (null reads as an empty mapping),
  // has a non-scalar key, or repeats a key.
  ConfigNode(const YAML::Node& node, std::shared_ptr<const ConfigSource> source, std::string path,
             YAML::Node resolved);

  bool has(const std::string& key) const;

  template <class T>
  T get(const std::string& key, const T& fallback, const Check<T>& check = {});
  template <class T>
  T required(const std::string& key, const Check<T>& check = {});
  // Absent or null: nullopt (recorded as null).
  template <class T>
  std::optional<T> optional(const std::string& key, const Check<T>& check = {});
  template <class T>
  std::vector<T> get_list(const std::string& key, const std::vector<T>& fallback,
                          const Check<T>& check = {});

  // A value named in `names` (absent: `fallback`); `allowed`, when given, is the subset this key
  // accepts. The choices in the error message come from the same table.
  template <class E>
  E get_enum(const std::string& key, E fallback, const EnumNames<E>& names,
             const std::vector<E>& allowed = {}) {
    const auto text = get<std::string>(key, names.name(fallback), one_of(names.names(allowed)));
    return names.parse(text, key_path(key));
  }

  // A nested mapping (absent: empty, so its defaults apply).
  ConfigNode child(const std::string& key);
  // A sequence of mappings (absent: empty).
  std::vector<ConfigNode> children(const std::string& key);

  // A block that another reader validates (the sweep block): marks `key` as known but keeps it out
  // of the resolved tree, because a single run's scenario does not include it.
  YAML::Node raw(const std::string& key);
  // The keys nobody has read yet, in file order, and one of them taken as written (marked known
  // and recorded in the resolved tree as is): how a plug-in that takes keys of its own (`type:
  // python`) passes them through to the user's code, which validates them.
  std::vector<std::string> unread_keys() const;
  YAML::Node take_as_is(const std::string& key);
  // "file:line:col: path.key" for `node` found under `key` here: how errors name a place.
  std::string where(const std::string& key, const YAML::Node& node) const;

  // Fails on keys that were never read, suggesting the nearest known key; `hint` is appended
  // to the message when there is no close match.
  void finish(const std::string& hint = "") const;

  // Throws a UserError located at `key` (or at this node when key is empty).
  [[noreturn]] void fail(const std::string& key, const std::string& problem) const;
  std::string key_path(const std::string& key) const;
  const std::string& path() const { return path_; }
  const std::string& file() const { return source_->file; }

 private:
  // The value under `key` (null node when absent), marking the key as known.
  YAML::Node value_of(const std::string& key);
  template <class T>
  T convert(const YAML::Node& value, const std::string& key) const;
  template <class T>
  void apply_check(const Check<T>& check, const T& value, const std::string& key,
                   const YAML::Node& node) const;

  YAML::Node node_;
  std::shared_ptr<const ConfigSource> source_;
  std::string path_;
  YAML::Node resolved_;
  std::set<std::string> known_;
};

// The text of a YAML scalar for messages, shortened.
std::string describe_yaml(const YAML::Node& node);

}  // namespace poisonsim
