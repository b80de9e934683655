#pragma once
// What the sweep CLI suites share: a summary column by name, "same summary, row by row", the
// CLI with quiet logs, and a fixture with one pretrained-model cache per suite.
#include <cmath>
#include <cstdlib>
#include <stdexcept>
#include <string>

#include <gtest/gtest.h>

#include "pipeline/trace/sweep_file.h"
#include "tests/test_support.h"

namespace poisonsim::test {

inline const SummaryColumn& column(const std::vector<SummaryColumn>& table,
                                   const std::string& name) {
  for (const auto& c : table)
    if (c.name == name) return c;
  throw std::runtime_error("no column " + name);
}

inline const SummaryColumn& column(const SweepContents& sweep, const std::string& name) {
  return column(sweep.summary, name);
}

// Same columns, same rows in the same order, same values (NaN equals NaN).
inline void expect_same_table(const std::vector<SummaryColumn>& a,
                              const std::vector<SummaryColumn>& b) {
  ASSERT_EQ(a.size(), b.size());
  for (size_t c = 0; c < a.size(); ++c) {
    const auto &x = a[c], &y = b[c];
    EXPECT_EQ(x.name, y.name);
    EXPECT_EQ(x.integers, y.integers) << x.name;
    EXPECT_EQ(x.texts, y.texts) << x.name;
    ASSERT_EQ(x.reals.size(), y.reals.size()) << x.name;
    for (size_t r = 0; r < x.reals.size(); ++r) {
      if (std::isnan(x.reals[r]) && std::isnan(y.reals[r])) continue;
      EXPECT_EQ(x.reals[r], y.reals[r]) << x.name << " row " << r;
    }
  }
}

inline void expect_same_summary(const SweepContents& a, const SweepContents& b) {
  expect_same_table(a.summary, b.summary);
}

inline size_t count_lines_starting(const std::string& text, const std::string& prefix) {
  size_t count = 0, start = 0;
  while (start < text.size()) {
    const size_t end = text.find('\n', start);
    if (text.compare(start, prefix.size(), prefix) == 0) ++count;
    if (end == std::string::npos) break;
    start = end + 1;
  }
  return count;
}

// Exit code 2 and exactly one line `error: ...` that contains `fragment`.
inline void expect_one_error(const CommandResult& result, const std::string& fragment) {
  EXPECT_EQ(result.exit_code, 2) << result.output;
  EXPECT_EQ(count_lines_starting(result.output, "error: "), 1u) << result.output;
  EXPECT_NE(result.output.find(fragment), std::string::npos) << result.output;
}

// The scenario the sweep CLI suites run: small, synthetic data, a few seconds a run.
inline std::string small_scenario() {
  return std::string(POISONSIM_SOURCE_DIR) + "/tests/scenarios/synthetic-small.yaml";
}

inline CommandResult poisonsim(const std::string& arguments) {
  return run_poisonsim("--log-level warn " + arguments);
}

// A scratch directory per test and one pretrained-model cache for the suite.
struct SweepCliTest : ::testing::Test {
  static void SetUpTestSuite() { setenv("POISONSIM_CACHE_DIR", cache().path().c_str(), 1); }
  static ScratchDir& cache() {
    static ScratchDir dir;
    return dir;
  }
  ScratchDir dir;
};

}  // namespace poisonsim::test
