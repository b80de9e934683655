#pragma once
// Figures that may not exist (a rate with nothing to divide by, a NaN metric), as inspect prints
// them: nullopt in C++, null in JSON, "-" in text.
#include <cmath>
#include <cstdint>
#include <optional>

#include <nlohmann/json.hpp>

namespace poisonsim::cli {

inline std::optional<double> known(double value) {
  return std::isnan(value) ? std::nullopt : std::optional<double>(value);
}

// part / whole, or nullopt when whole is 0.
inline std::optional<double> ratio(int64_t part, int64_t whole) {
  if (whole == 0) return std::nullopt;
  return static_cast<double>(part) / static_cast<double>(whole);
}

inline nlohmann::ordered_json json_or_null(const std::optional<double>& value) {
  return value ? nlohmann::ordered_json(*value) : nlohmann::ordered_json();
}

}  // namespace poisonsim::cli
