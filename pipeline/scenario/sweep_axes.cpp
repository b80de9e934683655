#include "pipeline/scenario/sweep_axes.h"

#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <limits>
#include <set>

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include "pipeline/scenario/config_node.h"
#include "sim/util/error.h"

namespace poisonsim {
namespace {

constexpr size_t kMaxPoints = 100000;
constexpr const char* kSeedsKey = "seeds";  // the block's seed count

std::string trim(const std::string& text) {
  const auto first = text.find_first_not_of(" \t");
  if (first == std::string::npos) return "";
  const auto last = text.find_last_not_of(" \t");
  return text.substr(first, last - first + 1);
}

std::vector<std::string> split(const std::string& text, char separator) {
  std::vector<std::string> parts;
  size_t begin = 0;
  while (true) {
    const auto end = text.find(separator, begin);
    parts.push_back(trim(text.substr(begin, end == std::string::npos ? end : end - begin)));
    if (end == std::string::npos) return parts;
    begin = end + 1;
  }
}

std::vector<std::string> parse_range(const std::vector<std::string>& parts, const std::string& spec,
                                     const std::string& where) {
  const auto fail = [&](const std::string& problem) -> UserError {
    return UserError(where, fmt::format("bad range '{}': {} (expected START:STOP:linN or "
                                        "START:STOP:logN, e.g. 0.5:8:log16)",
                                        spec, problem));
  };
  const auto start_value = parse_finite_number(parts[0]);
  const auto stop_value = parse_finite_number(parts[1]);
  if (!start_value) throw fail(fmt::format("'{}' is not a number", parts[0]));
  if (!stop_value) throw fail(fmt::format("'{}' is not a number", parts[1]));
  const double start = *start_value, stop = *stop_value;
  const std::string& scale = parts[2];
  const bool log_scale = scale.rfind("log", 0) == 0;
  if (!log_scale && scale.rfind("lin", 0) != 0)
    throw fail(fmt::format("'{}' must be linN or logN", scale));
  const double count_value = parse_finite_number(scale.substr(3)).value_or(0);
  if (count_value != std::floor(count_value) || count_value < 1 ||
      count_value > static_cast<double>(kMaxPoints))
    throw fail(fmt::format("the number of points in '{}' must be an integer from 1 to {}", scale,
                           kMaxPoints));
  if (log_scale && (start <= 0 || stop <= 0))
    throw fail("a log range needs START and STOP above zero");
  const auto count = static_cast<size_t>(count_value);
  std::vector<std::string> values;
  for (size_t i = 0; i < count; ++i) {
    const double t = count == 1 ? 0.0 : static_cast<double>(i) / static_cast<double>(count - 1);
    const double value = log_scale ? start * std::pow(stop / start, t) : start + (stop - start) * t;
    values.push_back(fmt::format("{:.4g}", value));
  }
  return values;
}

std::string yaml_location(const std::string& file, const YAML::Node& node,
                          const std::string& path) {
  const YAML::Mark mark = node.Mark();
  if (mark.is_null() || mark.line < 0) return fmt::format("{}: {}", file, path);
  return fmt::format("{}:{}:{}: {}", file, mark.line + 1, mark.column + 1, path);
}

// A block value as one line of YAML, the form --set reads.
std::string flow_yaml(const YAML::Node& node) {
  YAML::Emitter out;
  out << YAML::Flow << node;
  return out.c_str();
}

}  // namespace

std::optional<double> parse_finite_number(const std::string& text) {
  if (text.empty()) return std::nullopt;
  errno = 0;
  char* end = nullptr;
  const double value = std::strtod(text.c_str(), &end);
  if (errno != 0 || end != text.c_str() + text.size() || !std::isfinite(value)) return std::nullopt;
  return value;
}

std::vector<std::string> parse_sweep_values(const std::string& spec, const std::string& where) {
  const std::string text = trim(spec);
  if (text.empty()) throw UserError(where, "no values: expected e.g. 1,5,10 or 0.5:8:log16");
  const auto range = split(text, ':');
  if (range.size() == 3 && text.find(',') == std::string::npos)
    return parse_range(range, text, where);
  if (range.size() != 1 && text.find(',') == std::string::npos)
    throw UserError(where, fmt::format("bad range '{}': expected START:STOP:linN or "
                                       "START:STOP:logN, e.g. 0.5:8:log16",
                                       text));
  auto values = split(text, ',');
  for (const auto& value : values)
    if (value.empty())
      throw UserError(where, fmt::format("empty value in '{}': expected comma-separated values "
                                         "such as 1,5,10",
                                         text));
  if (values.size() > kMaxPoints)
    throw UserError(where, fmt::format("more than {} values", kMaxPoints));
  return values;
}

SweepAxis parse_sweep_param(const std::string& option) {
  const std::string where = fmt::format("--param {}", option);
  const auto equals = option.find('=');
  if (equals == std::string::npos)
    throw UserError(where, "expected key.path=values, e.g. guard.threshold=0.5:8:log16");
  SweepAxis axis;
  axis.path = trim(option.substr(0, equals));
  if (axis.path.empty())
    throw UserError(where, "the key path before '=' is empty (e.g. guard.threshold=1,2,4)");
  axis.where = where;
  axis.values = parse_sweep_values(option.substr(equals + 1), where);
  return axis;
}

int64_t parse_seed_count(const std::string& text, const std::string& where) {
  const std::string count = trim(text);
  const bool digits = !count.empty() && count.size() <= 9 &&
                      count.find_first_not_of("0123456789") == std::string::npos;
  const int64_t value = digits ? std::stoll(count) : 0;
  if (value < 1 || value > kMaxSeeds)
    throw UserError(where, fmt::format("expected a whole number of seeds from 1 to {}, got '{}' "
                                       "(every cell runs with seeds S, S+1, ..., S+N-1 from the "
                                       "scenario's seed S; for other seeds use seed=1,5,9)",
                                       kMaxSeeds, text));
  return value;
}

SweepAxis seed_axis(uint64_t base, int64_t count, const std::string& where) {
  constexpr auto kLargest = static_cast<uint64_t>(std::numeric_limits<int64_t>::max());
  if (count < 1 || base > kLargest - static_cast<uint64_t>(count - 1))
    throw UserError(where, fmt::format("{} seeds from the scenario's seed {} would pass the "
                                       "largest seed, {}",
                                       count, base, kLargest));
  SweepAxis axis;
  axis.path = kSeedKeyPath;
  axis.where = where;
  for (int64_t i = 0; i < count; ++i)
    axis.values.push_back(std::to_string(base + static_cast<uint64_t>(i)));
  return axis;
}

std::vector<SweepAxis> read_sweep_block(ConfigNode& root, uint64_t base_seed) {
  const YAML::Node block = root.raw("sweep");
  std::vector<SweepAxis> axes;
  if (!block.IsDefined() || block.IsNull()) return axes;
  if (!block.IsMap())
    throw UserError(root.where("sweep", block),
                    "expected a mapping of key path -> values, e.g. "
                    "{guard.threshold: 0.5:8:log16, attackers.0.rate: [0.1, 0.2]}");
  for (auto it = block.begin(); it != block.end(); ++it) {
    SweepAxis axis;
    if (!it->first.IsScalar() || it->first.Scalar().empty())
      throw UserError(root.where("sweep", it->first), "a sweep key must be a key path");
    axis.path = it->first.Scalar();
    axis.where = yaml_location(root.file(), it->second, "sweep." + axis.path);
    const YAML::Node values = it->second;  // a copy: it->second is a temporary
    if (axis.path == kSeedsKey) {
      if (!values.IsScalar())
        throw UserError(axis.where, "expected a whole number of seeds, e.g. seeds: 3");
      axis = seed_axis(base_seed, parse_seed_count(values.Scalar(), axis.where), axis.where);
    } else if (values.IsScalar()) {
      axis.values = parse_sweep_values(values.Scalar(), axis.where);
    } else if (values.IsSequence() && values.size() > 0) {
      for (size_t i = 0; i < values.size(); ++i) {
        const YAML::Node value = values[i];
        if (value.IsScalar()) {
          axis.values.push_back(value.Scalar());
        } else if (value.IsMap() || value.IsSequence()) {
          axis.values.push_back(flow_yaml(value));
        } else if (value.IsNull()) {
          // `~`: the key as if absent (its default), as `--set key=~` sets it; e.g. no
          // sanitizer in a sweep over `sanitize` stages.
          axis.values.push_back("~");
        } else {
          throw UserError(yaml_location(root.file(), value, "sweep." + axis.path),
                          "expected a value, got nothing");
        }
      }
    } else {
      throw UserError(axis.where,
                      "expected a non-empty list of values or a range such as "
                      "0.5:8:log16");
    }
    for (const auto& other : axes) {
      if (other.path != axis.path) continue;
      if (axis.path == kSeedKeyPath)
        throw UserError(axis.where,
                        "the seeds are given twice, by `seed` and by `seeds`: keep "
                        "one (seeds: N runs N seeds from the scenario's seed)");
      throw UserError(axis.where, "this key path is swept twice");
    }
    axes.push_back(std::move(axis));
  }
  return axes;
}

std::vector<SweepAxis> merge_sweep_axes(std::vector<SweepAxis> from_block,
                                        const std::vector<SweepAxis>& from_options) {
  std::set<std::string> seen;
  for (const auto& option : from_options) {
    if (!seen.insert(option.path).second)
      throw UserError(option.where, "this key path is given twice with --param");
    bool replaced = false;
    for (auto& axis : from_block) {
      if (axis.path == option.path) {
        axis = option;
        replaced = true;
      }
    }
    if (!replaced) from_block.push_back(option);
  }
  return from_block;
}

size_t sweep_grid_size(const std::vector<SweepAxis>& axes, size_t limit) {
  size_t runs = 1;
  for (const auto& axis : axes) {
    if (axis.values.empty() || runs > limit / axis.values.size())
      throw UserError(axis.where, fmt::format("the grid would have more than {} runs", limit));
    runs *= axis.values.size();
  }
  return runs;
}

}  // namespace poisonsim
