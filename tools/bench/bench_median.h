#pragma once
// The median the benchmarks report (of rounds that alternate the sides of a comparison).
#include <algorithm>
#include <vector>

namespace poisonsim::bench {

// 0 for no values; the mean of the two middle values for an even count.
inline double median(std::vector<double> values) {
  if (values.empty()) return 0;
  std::sort(values.begin(), values.end());
  const size_t mid = values.size() / 2;
  return values.size() % 2 ? values[mid] : 0.5 * (values[mid - 1] + values[mid]);
}

}  // namespace poisonsim::bench
