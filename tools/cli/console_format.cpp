#include "tools/cli/console_format.h"

#include <fmt/format.h>

namespace poisonsim::cli {

std::string simulated_seconds(double seconds) {
  std::string text = fmt::format("{:.3f}", seconds);
  if (text.find('.') == std::string::npos) return text;  // inf, nan
  while (text.back() == '0') text.pop_back();
  if (text.back() == '.') text.pop_back();
  return text;
}

}  // namespace poisonsim::cli
