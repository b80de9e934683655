// `poisonsim list` prints every type the registries hold (tools/common/builtin_plugins.cpp), in
// its block, with its summary and keys: the test walks the registries, so a type added there is
// checked without touching this file.
#include <string>

#include <fmt/format.h>

#include <gtest/gtest.h>

#include "tests/test_support.h"
#include "tools/common/builtin_plugins.h"

namespace poisonsim {
namespace {

// The lines of `block` in the output: from its title line to the next unindented line.
std::string block_of(const std::string& output, const std::string& block) {
  const auto start = output.find(block + " (");
  if (start == std::string::npos || (start != 0 && output[start - 1] != '\n')) return "";
  const auto end = output.find("\n", start);
  size_t next = end;
  while (next != std::string::npos && next + 1 < output.size() && output[next + 1] == ' ')
    next = output.find('\n', next + 1);
  return output.substr(start, next == std::string::npos ? std::string::npos : next - start + 1);
}

template <class Registry>
void expect_listed(const std::string& output, const std::string& block, const Registry& registry) {
  SCOPED_TRACE(block);
  const std::string lines = block_of(output, block);
  ASSERT_FALSE(lines.empty()) << output;
  ASSERT_FALSE(registry.entries().empty());
  for (const auto& [type, entry] : registry.entries()) {
    const std::string keys =
        entry.keys.empty() ? "none" : fmt::format("{}", fmt::join(entry.keys, ", "));
    const std::string expected = fmt::format("  {}: {}\n    keys: {}\n", type, entry.summary, keys);
    EXPECT_NE(lines.find(expected), std::string::npos) << expected << "not in:\n" << lines;
  }
}

TEST(ListCommand, PrintsEveryRegisteredTypeWithItsSummaryAndKeys) {
  const auto result = test::run_poisonsim("list");
  ASSERT_EQ(result.exit_code, 0) << result.output;
  const PluginRegistry& plugins = cli::builtin_plugins();
  expect_listed(result.output, "attackers", plugins.attackers);
  expect_listed(result.output, "guards", plugins.guards);
  expect_listed(result.output, "sanitizers", plugins.sanitizers);
  expect_listed(result.output, "gates", plugins.gates);
}

TEST(ListCommand, TakesNoArguments) {
  const auto result = test::run_poisonsim("list attackers");
  EXPECT_EQ(result.exit_code, 2) << result.output;
  EXPECT_EQ(result.output.rfind("error: poisonsim list: ", 0), 0u) << result.output;
}

}  // namespace
}  // namespace poisonsim
