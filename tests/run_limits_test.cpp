// Limits checked when a scenario is validated (pipeline/scenario/run_limits.h): the memory
// estimate against POISONSIM_MEMORY_LIMIT or the machine, and the number of arrivals.
#include "pipeline/scenario/run_limits.h"

#include <cstdlib>

#include <gtest/gtest.h>

#include "tests/test_support.h"
#include "tools/common/builtin_plugins.h"

namespace poisonsim {
namespace {

Scenario parse(const std::string& text, const std::vector<std::string>& overrides = {}) {
  return parse_scenario(text, "s.yaml", overrides, cli::builtin_plugins());
}

// Data this small never makes loading the peak, so the estimate lists the simulation's terms.
const std::string kTiny =
    "duration: 10\ndata: {kind: synthetic, synthetic: {train: 100, test: 10}, splits: {pretrain: "
    "20, validation: 20, attacker: 20, attacker_validation: 10}}\n";

double term(const MemoryEstimate& e, const std::string& key) {
  for (const auto& t : e.terms)
    if (t.key == key) return t.bytes;
  return 0;
}

// Sets an environment variable for one test and restores the old value.
class ScopedEnv {
 public:
  ScopedEnv(const char* name, const char* value) : name_(name) {
    if (const char* old = std::getenv(name)) old_ = old;
    setenv(name, value, 1);
  }
  ~ScopedEnv() { old_.empty() ? unsetenv(name_) : setenv(name_, old_.c_str(), 1); }

 private:
  const char* name_;
  std::string old_;
};

TEST(RunLimits, BufferAndReplayScaleWithTheSampleSize) {
  const std::string grey = kTiny + "retrain: {buffer: {capacity: 1000}, replay: 500}\n";
  const auto e = estimate_memory(parse(grey));
  EXPECT_DOUBLE_EQ(term(e, "retrain.buffer.capacity"), 1000 * (784 * 4 + 8));
  EXPECT_DOUBLE_EQ(term(e, "retrain.replay"), 1500 * (784 * 4 + 8));
  const auto colour = estimate_memory(parse(
      grey, {"data.synthetic.channels=3", "data.synthetic.height=32", "data.synthetic.width=32"}));
  EXPECT_DOUBLE_EQ(term(colour, "retrain.buffer.capacity"), 1000 * (3072 * 4 + 8));
  double sum = 0;
  for (const auto& t : e.terms) sum += t.bytes;
  EXPECT_DOUBLE_EQ(e.total, sum);
}

TEST(RunLimits, ModelCopiesCountStaleHistoryMomentumAndThePolicy) {
  const std::string base = kTiny + "model: {hidden: [100]}\n";
  const double params = 784 * 100 + 100 + 100 * 10 + 10;
  // The default victim keeps its mean iterate (retrain.select: average) besides the four.
  const auto plain = estimate_memory(parse(base + "retrain: {select: last}\n"));
  EXPECT_DOUBLE_EQ(term(plain, "model"), 4 * params * 4);
  const auto momentum =
      estimate_memory(parse(base + "retrain: {select: last, momentum: 0.9}\n"));
  EXPECT_DOUBLE_EQ(term(momentum, "model"), 5 * params * 4);
  EXPECT_DOUBLE_EQ(term(estimate_memory(parse(base)), "model"), 5 * params * 4);
  const auto from_base =
      estimate_memory(parse(base + "retrain: {start: base, select: best}\n"));
  EXPECT_DOUBLE_EQ(term(from_base, "model"), 6 * params * 4);
  const auto stale = estimate_memory(parse(
      base + "attackers:\n  - type: noise\n    knowledge: {model: stale, stale_retrains: 7}\n"));
  EXPECT_DOUBLE_EQ(term(stale, "attackers.knowledge.stale_retrains"), 7 * params * 4);
}

TEST(RunLimits, AScenarioOverTheLimitNamesItsLargestKeyTheEstimateAndTheLimit) {
  ScopedEnv limit("POISONSIM_MEMORY_LIMIT", "1G");
  const std::string text = kTiny + "retrain: {buffer: {capacity: 100000}}\n";
  EXPECT_NO_THROW(parse(text));
  test::expect_user_error([&] { parse(text, {"retrain.buffer.capacity=1000000"}); },
                          "s.yaml: retrain.buffer.capacity",
                          "the run needs about 3.3 GB of memory, more than the limit of 1.1 GB "
                          "(POISONSIM_MEMORY_LIMIT): the retraining buffer 3.1 GB "
                          "(retrain.buffer.capacity), ");
}

TEST(RunLimits, MemoryLimitReadsSizesAndRefusesOthers) {
  std::string source;
  {
    ScopedEnv limit("POISONSIM_MEMORY_LIMIT", "512M");
    EXPECT_DOUBLE_EQ(memory_limit(source), 512.0 * 1024 * 1024);
    EXPECT_EQ(source, "POISONSIM_MEMORY_LIMIT");
  }
  {
    ScopedEnv limit("POISONSIM_MEMORY_LIMIT", "2000000");
    EXPECT_DOUBLE_EQ(memory_limit(source), 2e6);
  }
  for (const char* bad : {"lots", "-1G", "8GB", "0"}) {
    ScopedEnv limit("POISONSIM_MEMORY_LIMIT", bad);
    test::expect_user_error([&] { memory_limit(source); }, "POISONSIM_MEMORY_LIMIT",
                            "is not a size");
  }
  ScopedEnv unset("POISONSIM_MEMORY_LIMIT", "");
  EXPECT_GT(memory_limit(source), 1e8);
  EXPECT_NE(source, "POISONSIM_MEMORY_LIMIT");
}

TEST(RunLimits, ArrivalsAreCountedOverEveryProcessAndCappedByBudgets) {
  const std::string text =
      "duration: 100000000\nretrain: {interval: 100}\nevaluation: {interval: 100}\n"
      "streams:\n  - arrival: {rate: 0.001}\n"
      "attackers:\n  - type: noise\n    arrival: {rate: 1000}\n    batch_size: 10\n";
  test::expect_user_error([&] { parse(text); }, "s.yaml: attackers.0.arrival.rate",
                          "the run would simulate about 1e+11 arrivals, more than 1e+09");
  // A budget of 1e6 samples ends the attacker after 1e5 batches, whatever its rate.
  EXPECT_NO_THROW(parse(text, {"attackers.0.budget=1000000"}));
  // So does a stop time.
  EXPECT_NO_THROW(parse(text, {"attackers.0.stop=1000"}));
}

TEST(RunLimits, SizesPrintInDecimalUnits) {
  EXPECT_EQ(format_bytes(512), "512 B");
  EXPECT_EQ(format_bytes(620.34e6), "620.3 MB");
  EXPECT_EQ(format_bytes(1.25e12), "1.2 TB");
  EXPECT_EQ(format_bytes(999.97e6), "1.0 GB");
}

}  // namespace
}  // namespace poisonsim
