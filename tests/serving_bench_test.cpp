// `poisonsim bench serving`: every model at every batch size, each with its fraction of the
// matmul peak measured in the same run, and clear errors for bad options.
#include <cmath>
#include <string>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "tests/test_support.h"

namespace poisonsim {
namespace {

TEST(ServingBench, EveryModelAndBatchHasItsShareOfTheMeasuredPeak) {
  test::ScratchDir dir;
  const auto json_path = dir.file("serving.json");
  const auto result = test::run_poisonsim(
      "--log-level warn bench serving --batch 8,32 --seconds 0.2 --rounds 2 --peak-size 128 "
      "--json " +
      json_path);
  ASSERT_EQ(result.exit_code, 0) << result.output;
  EXPECT_NE(result.output.find("measured peak (oneDNN matmul 128^3)"), std::string::npos)
      << result.output;

  const auto bench = nlohmann::json::parse(test::read_text(json_path));
  const double peak = bench["peak"]["f32_flops"].get<double>();
  EXPECT_GT(peak, 0);
  EXPECT_EQ(bench["peak"]["size"], 128);
  ASSERT_EQ(bench["models"].size(), 4u);  // two models x two batch sizes, model-major
  // Forward multiply-adds x 2: mlp 784-256-10; cnn 3x32x32, conv 3x3 [32, 64] each + 2x2 pool,
  // then 4096-256-10.
  const double mlp_flops = 2.0 * (784 * 256 + 256 * 10);
  const double cnn_flops =
      2.0 * (3 * 9 * 32 * 32 * 32 + 32 * 9 * 64 * 16 * 16 + 4096 * 256 + 256 * 10);
  const double expected_flops[] = {mlp_flops, mlp_flops, cnn_flops, cnn_flops};
  const int expected_batch[] = {8, 32, 8, 32};
  for (size_t i = 0; i < 4; ++i) {
    const auto& m = bench["models"][i];
    SCOPED_TRACE(m.dump());
    EXPECT_EQ(m["batch"], expected_batch[i]);
    EXPECT_DOUBLE_EQ(m["flops_per_sample"].get<double>(), expected_flops[i]);
    const double f32 = m["onednn_f32"].get<double>();
    EXPECT_GT(f32, 0);
    EXPECT_GT(m["libtorch"].get<double>(), 0);
    EXPECT_NEAR(m["f32_fraction_of_peak"].get<double>(), f32 * expected_flops[i] / peak,
                1e-9 * f32 * expected_flops[i] / peak);
    // bf16 figures exist exactly when the CPU has bf16, and then against the bf16 peak.
    EXPECT_EQ(m["onednn_bf16"].is_null(), bench["peak"]["bf16_flops"].is_null());
  }
}

TEST(ServingBench, BadOptionsAreOneErrorLine) {
  for (const char* options :
       {"--batch 0", "--batch 8,70000", "--peak-size 10", "--seconds 0", "--rounds 0"}) {
    const auto result = test::run_poisonsim(std::string("bench serving ") + options);
    EXPECT_EQ(result.exit_code, 2) << options << ": " << result.output;
    EXPECT_EQ(result.output.rfind("error: ", 0), 0u) << options << ": " << result.output;
    EXPECT_EQ(result.output.find('\n'), result.output.size() - 1)
        << options << ": " << result.output;
  }
}

}  // namespace
}  // namespace poisonsim
