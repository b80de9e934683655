#include "pipeline/scenario/config_node.h"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

#include "sim/util/error.h"
#include "sim/util/nearest_word.h"

namespace poisonsim {
namespace {

const char* kind_name(const YAML::Node& node) {
  switch (node.Type()) {
    case YAML::NodeType::Map:
      return "a mapping";
    case YAML::NodeType::Sequence:
      return "a list";
    case YAML::NodeType::Null:
      return "nothing (null)";
    case YAML::NodeType::Scalar:
      return "a scalar";
    default:
      return "nothing";
  }
}

template <class T>
const char* type_name();
template <>
const char* type_name<int64_t>() {
  return "an integer";
}
template <>
const char* type_name<double>() {
  return "a number";
}
template <>
const char* type_name<bool>() {
  return "true or false";
}
template <>
const char* type_name<std::string>() {
  return "a string";
}

// The text a value is recorded with in the resolved tree: the user's own spelling when it came
// from the file (so nothing is lost to rounding), otherwise the shortest round-trip form.
template <class T>
std::string scalar_text(const T& value) {
  if constexpr (std::is_same_v<T, bool>) {
    return value ? "true" : "false";
  } else if constexpr (std::is_same_v<T, std::string>) {
    return value;
  } else {
    return fmt::format("{}", value);
  }
}

template <class T>
YAML::Node resolved_scalar(const YAML::Node& from_file, const T& value) {
  if (from_file.IsDefined() && from_file.IsScalar()) return YAML::Node(from_file.Scalar());
  return YAML::Node(scalar_text(value));
}

}  // namespace

std::string describe_yaml(const YAML::Node& node) {
  if (!node.IsScalar()) return kind_name(node);
  // Control characters are spelled out: an error message is one line.
  std::string text;
  for (const char c : node.Scalar()) {
    if (c == '\n')
      text += "\\n";
    else if (c == '\t')
      text += "\\t";
    else if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f)
      text += fmt::format("\\x{:02x}", static_cast<unsigned char>(c));
    else
      text += c;
  }
  if (text.size() > 40) text = text.substr(0, 37) + "...";
  return "'" + text + "'";
}

Check<double> at_least(double low) {
  return [low](const double& v) { return v >= low ? "" : fmt::format("a number >= {}", low); };
}
Check<double> greater_than(double low) {
  return [low](const double& v) { return v > low ? "" : fmt::format("a number > {}", low); };
}
Check<double> in_range(double low, double high) {
  return [low, high](const double& v) {
    return v >= low && v <= high ? "" : fmt::format("a number from {} to {}", low, high);
  };
}
Check<int64_t> int_at_least(int64_t low) {
  return [low](const int64_t& v) { return v >= low ? "" : fmt::format("an integer >= {}", low); };
}
Check<int64_t> int_in_range(int64_t low, int64_t high) {
  return [low, high](const int64_t& v) {
    return v >= low && v <= high ? "" : fmt::format("an integer from {} to {}", low, high);
  };
}
Check<std::string> one_of(std::vector<std::string> choices) {
  return [choices](const std::string& v) {
    if (std::find(choices.begin(), choices.end(), v) != choices.end()) return std::string();
    return fmt::format("one of {}", fmt::join(choices, ", "));
  };
}

ConfigNode::ConfigNode(const YAML::Node& node, std::shared_ptr<const ConfigSource> source,
                       std::string path, YAML::Node resolved)
    : node_(node), source_(std::move(source)), path_(std::move(path)), resolved_(resolved) {
  if (!node_.IsDefined() || node_.IsNull()) return;
  if (!node_.IsMap())
    throw UserError(where("", node_),
                    fmt::format("expected a mapping of keys, got {}", describe_yaml(node_)));
  std::set<std::string> seen;
  for (auto it = node_.begin(); it != node_.end(); ++it) {
    if (!it->first.IsScalar())
      throw UserError(where("", it->first), "a key must be a plain name, not a list or mapping");
    const std::string key = it->first.Scalar();
    if (!seen.insert(key).second) throw UserError(where(key, it->first), "duplicate key");
  }
}

std::string ConfigNode::key_path(const std::string& key) const {
  if (key.empty()) return path_.empty() ? "(top level)" : path_;
  return path_.empty() ? key : path_ + "." + key;
}

std::string ConfigNode::where(const std::string& key, const YAML::Node& node) const {
  const std::string keys = key_path(key);
  if (source_->overridden.count(keys)) return fmt::format("{}: --set {}", source_->file, keys);
  const YAML::Mark mark = node.IsDefined() ? node.Mark() : node_.Mark();
  if (mark.is_null() || mark.line < 0) return fmt::format("{}: {}", source_->file, keys);
  return fmt::format("{}:{}:{}: {}", source_->file, mark.line + 1, mark.column + 1, keys);
}

void ConfigNode::fail(const std::string& key, const std::string& problem) const {
  YAML::Node at;
  if (!key.empty() && node_.IsMap()) at = node_[key];
  throw UserError(where(key, at), problem);
}

bool ConfigNode::has(const std::string& key) const {
  return node_.IsMap() && node_[key].IsDefined() && !node_[key].IsNull();
}

YAML::Node ConfigNode::value_of(const std::string& key) {
  known_.insert(key);
  if (!node_.IsMap()) return YAML::Node();
  return node_[key];
}

YAML::Node ConfigNode::raw(const std::string& key) { return value_of(key); }

std::vector<std::string> ConfigNode::unread_keys() const {
  std::vector<std::string> keys;
  if (!node_.IsMap()) return keys;
  for (auto it = node_.begin(); it != node_.end(); ++it)
    if (!known_.count(it->first.Scalar())) keys.push_back(it->first.Scalar());
  return keys;
}

YAML::Node ConfigNode::take_as_is(const std::string& key) {
  const YAML::Node value = value_of(key);
  resolved_[key] = YAML::Clone(value);
  return value;
}

template <class T>
T ConfigNode::convert(const YAML::Node& value, const std::string& key) const {
  if (!value.IsScalar())
    throw UserError(where(key, value),
                    fmt::format("expected {}, got {}", type_name<T>(), describe_yaml(value)));
  T out{};
  if (!YAML::convert<T>::decode(value, out))
    throw UserError(where(key, value),
                    fmt::format("expected {}, got {}", type_name<T>(), describe_yaml(value)));
  if constexpr (std::is_floating_point_v<T>) {
    if (!std::isfinite(out))
      throw UserError(where(key, value),
                      fmt::format("expected a finite number, got {}", describe_yaml(value)));
  }
  return out;
}

template <class T>
void ConfigNode::apply_check(const Check<T>& check, const T& value, const std::string& key,
                             const YAML::Node& node) const {
  if (!check) return;
  const std::string expected = check(value);
  if (!expected.empty())
    throw UserError(where(key, node),
                    fmt::format("expected {}, got {}", expected, describe_yaml(node)));
}

template <class T>
T ConfigNode::get(const std::string& key, const T& fallback, const Check<T>& check) {
  const YAML::Node value = value_of(key);
  T out = fallback;
  if (value.IsDefined() && !value.IsNull()) {
    out = convert<T>(value, key);
    apply_check(check, out, key, value);
  }
  resolved_[key] = resolved_scalar(value, out);
  return out;
}

template <class T>
T ConfigNode::required(const std::string& key, const Check<T>& check) {
  const YAML::Node value = value_of(key);
  if (!value.IsDefined() || value.IsNull())
    throw UserError(where(key, value),
                    fmt::format("missing required key (expected {})", type_name<T>()));
  T out = convert<T>(value, key);
  apply_check(check, out, key, value);
  resolved_[key] = resolved_scalar(value, out);
  return out;
}

template <class T>
std::optional<T> ConfigNode::optional(const std::string& key, const Check<T>& check) {
  const YAML::Node value = value_of(key);
  if (!value.IsDefined() || value.IsNull()) {
    resolved_[key] = YAML::Node(YAML::NodeType::Null);
    return std::nullopt;
  }
  T out = convert<T>(value, key);
  apply_check(check, out, key, value);
  resolved_[key] = resolved_scalar(value, out);
  return out;
}

template <class T>
std::vector<T> ConfigNode::get_list(const std::string& key, const std::vector<T>& fallback,
                                    const Check<T>& check) {
  const YAML::Node value = value_of(key);
  std::vector<T> out = fallback;
  if (value.IsDefined() && !value.IsNull()) {
    if (!value.IsSequence())
      throw UserError(where(key, value), fmt::format("expected a list, each {}, got {}",
                                                     type_name<T>(), describe_yaml(value)));
    out.clear();
    for (const auto& item : value) {
      const T converted = convert<T>(item, key);
      apply_check(check, converted, key, item);
      out.push_back(converted);
    }
  }
  YAML::Node list(YAML::NodeType::Sequence);
  list.SetStyle(YAML::EmitterStyle::Flow);
  for (size_t i = 0; i < out.size(); ++i)
    list.push_back(value.IsSequence() ? resolved_scalar(value[i], out[i])
                                      : YAML::Node(scalar_text(out[i])));
  resolved_[key] = list;
  return out;
}

ConfigNode ConfigNode::child(const std::string& key) {
  const YAML::Node value = value_of(key);
  resolved_[key] = YAML::Node(YAML::NodeType::Map);
  return ConfigNode(value, source_, key_path(key), resolved_[key]);
}

std::vector<ConfigNode> ConfigNode::children(const std::string& key) {
  const YAML::Node value = value_of(key);
  resolved_[key] = YAML::Node(YAML::NodeType::Sequence);
  YAML::Node list = resolved_[key];
  std::vector<ConfigNode> out;
  if (!value.IsDefined() || value.IsNull()) return out;
  if (!value.IsSequence())
    throw UserError(where(key, value),
                    fmt::format("expected a list of mappings, got {}", describe_yaml(value)));
  for (size_t i = 0; i < value.size(); ++i) {
    list.push_back(YAML::Node(YAML::NodeType::Map));
    out.emplace_back(value[i], source_, key_path(key) + "." + std::to_string(i), list[i]);
  }
  return out;
}

void ConfigNode::finish(const std::string& hint) const {
  if (!node_.IsMap()) return;
  for (auto it = node_.begin(); it != node_.end(); ++it) {
    const std::string key = it->first.Scalar();
    if (known_.count(key)) continue;
    const auto best = nearest_word(key, {known_.begin(), known_.end()});
    throw UserError(
        where(key, it->first),
        best ? fmt::format("unknown key, did you mean '{}'?", *best)
             : fmt::format("unknown key; valid keys here: {}{}", fmt::join(known_, ", "), hint));
  }
}

#define POISONSIM_CONFIG_TYPES(T)                                                            \
  template T ConfigNode::get<T>(const std::string&, const T&, const Check<T>&);              \
  template T ConfigNode::required<T>(const std::string&, const Check<T>&);                   \
  template std::optional<T> ConfigNode::optional<T>(const std::string&, const Check<T>&);    \
  template std::vector<T> ConfigNode::get_list<T>(const std::string&, const std::vector<T>&, \
                                                  const Check<T>&);
POISONSIM_CONFIG_TYPES(int64_t)
POISONSIM_CONFIG_TYPES(double)
POISONSIM_CONFIG_TYPES(bool)
POISONSIM_CONFIG_TYPES(std::string)
#undef POISONSIM_CONFIG_TYPES

}  // namespace poisonsim
