#include "pipeline/scenario/overrides.h"

#include <fmt/format.h>

#include "sim/util/error.h"

namespace poisonsim {
namespace {

std::vector<std::string> split_path(const std::string& path) {
  std::vector<std::string> parts;
  size_t begin = 0;
  for (;;) {
    const size_t dot = path.find('.', begin);
    parts.push_back(path.substr(begin, dot - begin));
    if (dot == std::string::npos) break;
    begin = dot + 1;
  }
  return parts;
}

bool is_index(const std::string& text) {
  return !text.empty() && text.size() < 10 &&
         text.find_first_not_of("0123456789") == std::string::npos;
}

}  // namespace

void apply_overrides(YAML::Node& document, const std::vector<std::string>& overrides,
                     ConfigSource& source) {
  for (const auto& item : overrides) {
    const std::string where = "--set " + item;
    const size_t equals = item.find('=');
    if (equals == std::string::npos || equals == 0)
      throw UserError(where, "expected key.path=value");
    // YAML reads nothing as null, which most keys take as "the default": say so instead.
    if (item.find_first_not_of(" \t", equals + 1) == std::string::npos)
      throw UserError(where,
                      "empty value: write key=null for null, key=\"''\" for an empty string");
    const std::string path = item.substr(0, equals);
    const auto parts = split_path(path);
    for (const auto& part : parts)
      if (part.empty()) throw UserError(where, "empty key in the path");
    YAML::Node value;
    try {
      value = YAML::Load(item.substr(equals + 1));
    } catch (const YAML::Exception& e) {
      throw UserError(where, fmt::format("the value is not valid YAML ({})", e.msg));
    }
    if (document.IsNull() || !document.IsDefined()) document = YAML::Node(YAML::NodeType::Map);
    if (!document.IsMap()) throw UserError(where, "the scenario's top level is not a mapping");
    // Walk down with fresh handles: assigning to a yaml-cpp handle would overwrite the node.
    std::vector<YAML::Node> chain{document};
    for (size_t i = 0; i + 1 < parts.size(); ++i) {
      YAML::Node current = chain.back();
      const std::string& part = parts[i];
      if (current.IsSequence()) {
        if (!is_index(part) || std::stoul(part) >= current.size())
          throw UserError(where, fmt::format("'{}' is a list of {} entries: expected an index "
                                             "from 0 to {}",
                                             part, current.size(), current.size() - 1));
        chain.push_back(current[std::stoul(part)]);
      } else if (current.IsMap() || current.IsNull()) {
        if (!current[part].IsDefined() || current[part].IsNull())
          current[part] = YAML::Node(YAML::NodeType::Map);
        chain.push_back(current[part]);
      } else {
        throw UserError(where, fmt::format("cannot set a key inside the value of '{}'", part));
      }
    }
    YAML::Node parent = chain.back();
    const std::string& last = parts.back();
    if (parent.IsSequence()) {
      if (!is_index(last) || std::stoul(last) >= parent.size())
        throw UserError(where, fmt::format("'{}' is not an index of a list of {} entries", last,
                                           parent.size()));
      parent[std::stoul(last)] = value;
    } else if (parent.IsMap() || parent.IsNull()) {
      parent[last] = value;
    } else {
      throw UserError(where, "cannot set a key inside a plain value");
    }
    source.overridden.insert(path);
  }
}

}  // namespace poisonsim
