// The pretrained-model cache (pipeline/simulation/run_data.h): a run with the same data, splits,
// seed, model and pretraining options loads the cached model, and runs exactly as if it had
// pretrained; any of those changed misses; other keys do not; --no-cache neither reads nor
// writes it. Whole `poisonsim run`s of the tests' small synthetic scenario.
#include <filesystem>
#include <string>

#include <gtest/gtest.h>

#include "tests/test_support.h"
#include "tests/trace_row_fields.h"

namespace poisonsim {
namespace {

namespace fs = std::filesystem;

struct PretrainCache : ::testing::Test {
  void SetUp() override { setenv("POISONSIM_CACHE_DIR", dir.file("cache").c_str(), 1); }

  // "pretrained" when the run pretrained, "cached" when it loaded the cache (from its log).
  std::string run(const std::string& name, const std::string& extra) {
    const auto result =
        test::run_poisonsim("--log-level info run " + std::string(POISONSIM_SOURCE_DIR) +
                            "/tests/scenarios/synthetic-small.yaml --set duration=30 " + extra +
                            " -o " + dir.file(name + ".h5"));
    EXPECT_EQ(result.exit_code, 0) << result.output;
    const bool cached =
        result.output.find("pretrained model loaded from cache") != std::string::npos;
    const bool pretrained = result.output.find("info pretraining ") != std::string::npos;
    EXPECT_NE(cached, pretrained) << result.output;
    return cached ? "cached" : "pretrained";
  }

  size_t cached_models() const {
    size_t count = 0;
    if (!fs::exists(dir.file("cache"))) return 0;
    for (const auto& entry : fs::directory_iterator(dir.file("cache")))
      count += entry.path().extension() == ".pt";
    return count;
  }

  test::ScratchDir dir;
};

// Every table row for row (the resolved scenarios may differ in pretrain.cache).
void expect_same_rows(const std::string& path_a, const std::string& path_b) {
  const auto a = read_trace(path_a), b = read_trace(path_b);
  test::expect_same_rows(a.events, b.events, "events");
  test::expect_same_rows(a.samples, b.samples, "samples");
  test::expect_same_rows(a.retrains, b.retrains, "retrains");
  test::expect_same_rows(a.evaluations, b.evaluations, "evaluations");
  EXPECT_FALSE(a.evaluations.empty());
}

TEST_F(PretrainCache, AHitRunsAsFreshPretrainingAndAChangedInputMisses) {
  EXPECT_EQ(run("fresh", ""), "pretrained");
  EXPECT_EQ(cached_models(), 1u);
  EXPECT_EQ(run("hit", ""), "cached");
  test::expect_same_trace(dir.file("fresh.h5"), dir.file("hit.h5"));
  // Each input of pretraining is part of the key.
  EXPECT_EQ(run("epochs", "--set pretrain.epochs=2"), "pretrained");
  EXPECT_EQ(run("seed", "--set seed=4"), "pretrained");
  EXPECT_EQ(run("model", "--set model.hidden=[16]"), "pretrained");
  EXPECT_EQ(run("splits", "--set data.splits.pretrain=900"), "pretrained");
  EXPECT_EQ(run("data", "--set data.synthetic.train=2900"), "pretrained");
  EXPECT_EQ(cached_models(), 6u);
  // What happens after pretraining is not.
  EXPECT_EQ(run("guard", "--set guard.threshold=2 --set retrain.interval=10"), "cached");
  EXPECT_EQ(cached_models(), 6u);
}

TEST_F(PretrainCache, NoCacheNeitherReadsNorWritesIt) {
  EXPECT_EQ(run("uncached", "--no-cache"), "pretrained");
  EXPECT_EQ(cached_models(), 0u);
  EXPECT_EQ(run("fills", ""), "pretrained");
  EXPECT_EQ(run("ignores", "--no-cache"), "pretrained");  // a cached model there, not read
  EXPECT_EQ(run("key", "--set pretrain.cache=false"), "pretrained");
  EXPECT_EQ(cached_models(), 1u);
  expect_same_rows(dir.file("fills.h5"), dir.file("ignores.h5"));
}

}  // namespace
}  // namespace poisonsim
