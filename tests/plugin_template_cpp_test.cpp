// How to test a C++ plug-in (docs/plugins.md, "Templates"), on the template guard
// guards/template/my_guard.{h,cpp}: built from YAML through a registry as a scenario builds it,
// verdicts on samples whose answer is known, its state through a checkpoint, and a bad key
// failing at load with its name.
#include "guards/template/my_guard.h"

#include <cmath>
#include <memory>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include "pipeline/scenario/config_node.h"
#include "sim/kernel/state_archive.h"
#include "sim/util/error.h"
#include "tests/test_support.h"

namespace poisonsim {
namespace {

// The guard block `yaml` read as the scenario reads a `guard:` stage: its type looked up in the
// registry, its keys parsed, unknown keys refused.
SampleGuardFactory parse_guard(const PluginRegistry& registry, const std::string& yaml) {
  auto source = std::make_shared<ConfigSource>(ConfigSource{"test.yaml", {}});
  ConfigNode node(YAML::Load(yaml), source, "guard", YAML::Node());
  const auto type = node.required<std::string>("type");
  const auto* entry = registry.guards.find(type);
  if (!entry) throw UserError(node.key_path("type"), "unknown guard type " + type);
  auto factory = entry->parse(node);
  node.finish();
  return factory;
}

PluginRegistry template_registry() {
  PluginRegistry registry;
  register_my_guard(registry);
  return registry;
}

std::vector<Verdict> judge(SampleGuard& guard, const std::vector<float>& losses) {
  std::vector<ScoredSample> batch(losses.size());
  for (size_t i = 0; i < losses.size(); ++i) batch[i].loss = losses[i];
  std::vector<Verdict> verdicts(batch.size());
  guard.judge_batch(batch.data(), batch.size(), verdicts.data());
  return verdicts;
}

constexpr Verdict A = Verdict::accept;
constexpr Verdict R = Verdict::reject;

TEST(PluginTemplate, RegistersItsTypeWithItsSummaryAndKeys) {
  const auto registry = template_registry();
  const auto* entry = registry.guards.find("my-guard");
  ASSERT_NE(entry, nullptr);
  EXPECT_EQ(entry->keys, (std::vector<std::string>{"factor", "window", "warmup"}));
  EXPECT_NE(entry->summary.find("median"), std::string::npos);
}

TEST(PluginTemplate, RejectsALossAboveFactorTimesTheMedianOfWhatItAccepted) {
  const auto guard =
      parse_guard(template_registry(), "{type: my-guard, factor: 3, window: 4, warmup: 3}")();
  // Warm-up: every finite loss is accepted, whatever its size.
  EXPECT_EQ(judge(*guard, {1.0f, 9.0f, std::nanf("")}), (std::vector<Verdict>{A, A, R}));
  // Accepted so far 1, 9: fewer than 3, still warming up.
  EXPECT_EQ(judge(*guard, {2.0f}), (std::vector<Verdict>{A}));
  // Accepted 1, 9, 2: the upper median 2, the limit 6.
  EXPECT_EQ(judge(*guard, {5.9f, 6.1f}), (std::vector<Verdict>{A, R}));
  // Accepted 1, 9, 2, 5.9 (the window is full): the upper median 5.9, the limit 17.7.
  EXPECT_EQ(judge(*guard, {17.0f, 18.0f}), (std::vector<Verdict>{A, R}));
  // 17 pushed the oldest, 1, out: 9, 2, 5.9, 17 has the upper median 9, the limit 27 (with 1
  // still in, it would be 5.9 and 17.7).
  EXPECT_EQ(judge(*guard, {26.9f}), (std::vector<Verdict>{A}));
}

TEST(PluginTemplate, ItsStateCarriesThroughACheckpoint) {
  const auto registry = template_registry();
  const auto factory = parse_guard(registry, "{type: my-guard, factor: 2, warmup: 2}");
  const auto original = factory();
  judge(*original, {1.0f, 1.0f, 1.0f});
  StateOut out;
  original->save_state(out);
  const auto resumed = factory();
  StateIn in(out.bytes(), "test checkpoint");
  resumed->load_state(in);
  in.expect_end();
  // Both have accepted three losses of 1: the limit is 2 for each.
  EXPECT_EQ(judge(*resumed, {1.9f, 2.1f}), (std::vector<Verdict>{A, R}));
  EXPECT_EQ(judge(*original, {1.9f, 2.1f}), (std::vector<Verdict>{A, R}));
  // A fresh guard is still warming up and accepts both.
  EXPECT_EQ(judge(*factory(), {1.9f, 2.1f}), (std::vector<Verdict>{A, A}));
}

TEST(PluginTemplate, ABadKeyFailsAtLoadNamingIt) {
  const auto registry = template_registry();
  test::expect_user_error([&] { parse_guard(registry, "{type: my-guard, factor: 0.5}"); },
                          "guard.factor", "> 1");
  test::expect_user_error([&] { parse_guard(registry, "{type: my-guard, window: 8, warmup: 9}"); },
                          "guard.warmup", "");
  test::expect_user_error([&] { parse_guard(registry, "{type: my-guard, facto: 2}"); }, "guard",
                          "facto");
}

}  // namespace
}  // namespace poisonsim
