#pragma once
// A number for a verb's JSON output: a missing value (NaN, as the tables hold it) becomes null,
// since JSON has no NaN and readers should see "no value", not a string or a crash.
#include <cmath>

#include <nlohmann/json.hpp>

namespace poisonsim::cli {

inline nlohmann::ordered_json number_or_null(double value) {
  return std::isfinite(value) ? nlohmann::ordered_json(value) : nlohmann::ordered_json();
}

}  // namespace poisonsim::cli
