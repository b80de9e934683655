// `poisonsim bench training`, `bench growth`, `bench defenses`, `bench generator` and
// `bench startup` at tiny sizes:
// the JSON they write and how they refuse bad options. Speeds are measured, never asserted.
#include <cmath>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <gtest/gtest.h>

#include "pipeline/trace/trace_reader.h"
#include "tests/test_support.h"

namespace poisonsim {
namespace {

std::string synthetic() {
  return std::string(POISONSIM_SOURCE_DIR) + "/tests/scenarios/synthetic-small.yaml";
}

struct BenchCli : ::testing::Test {
  static void SetUpTestSuite() { setenv("POISONSIM_CACHE_DIR", cache().path().c_str(), 1); }
  static test::ScratchDir& cache() {
    static test::ScratchDir dir;
    return dir;
  }
  test::ScratchDir dir;

  nlohmann::json bench(const std::string& arguments) {
    const auto json = dir.file("bench.json");
    const auto result = test::run_poisonsim("--log-level warn bench " + arguments + " --json " +
                                            json + " --force");  // one file, rewritten by each call
    EXPECT_EQ(result.exit_code, 0) << result.output;
    return result.exit_code == 0 ? nlohmann::json::parse(test::read_text(json)) : nlohmann::json();
  }
};

// One line starting "error:" that contains `fragment`, and exit code 2.
void expect_one_error_line(const test::CommandResult& result, const std::string& fragment) {
  EXPECT_EQ(result.exit_code, 2) << result.output;
  size_t lines = 0;
  for (size_t at = result.output.find("error:"); at != std::string::npos;
       at = result.output.find("error:", at + 1))
    ++lines;
  EXPECT_EQ(lines, 1u) << result.output;
  EXPECT_NE(result.output.find(fragment), std::string::npos) << result.output;
}

TEST_F(BenchCli, TrainingComparesBothSidesOnTheSameWork) {
  for (const std::string model : {"mlp", "cnn"}) {
    const auto figures = bench("training --scenario " + synthetic() +
                               " --samples 150 --rounds 2 --set retrain.momentum=0.5 --set "
                               "model.kind=" +
                               model);
    ASSERT_FALSE(figures.is_null());
    EXPECT_EQ(figures["benchmark"], "training");
    EXPECT_EQ(figures["samples"], 150);
    EXPECT_EQ(figures["rounds"], 2);
    EXPECT_EQ(figures["momentum"], 0.5);
    EXPECT_EQ(figures["batch_size"], 32);
    EXPECT_EQ(figures["threads"], 2);  // the scenario's compute.train_threads
    EXPECT_EQ(figures["model"].get<std::string>().rfind(model, 0), 0u) << figures["model"];
    for (const char* side : {"pipeline", "bare"}) {
      EXPECT_EQ(figures[side]["seconds"].size(), 2u) << side;
      EXPECT_GT(figures[side]["samples_per_second"].get<double>(), 0) << side;
    }
    EXPECT_TRUE(std::isfinite(figures["overhead"].get<double>()));
    EXPECT_TRUE(std::isfinite(figures["overhead_of_medians"].get<double>()));
    // Same data, order, weights and settings: the two loops do the same arithmetic.
    EXPECT_EQ(figures["max_weight_difference"], 0.0) << model;
  }
}

TEST_F(BenchCli, TrainingDefaultsToOneFullBuffer) {
  const auto figures = bench("training --scenario " + synthetic() +
                             " --rounds 1 --set retrain.buffer.capacity=90 --set retrain.epochs=2");
  ASSERT_FALSE(figures.is_null());
  EXPECT_EQ(figures["samples"], 90);
  EXPECT_EQ(figures["epochs"], 2);
}

TEST_F(BenchCli, GrowthScalesVolumeAndBufferAndFitsTheExponent) {
  const auto figures =
      bench("growth --scenario " + synthetic() +
            " --scales 1,3 --rounds 1 --set duration=30 --work-dir " + dir.file("runs"));
  ASSERT_FALSE(figures.is_null());
  EXPECT_EQ(figures["benchmark"], "growth");
  EXPECT_EQ(figures["guard"], "loss-threshold");
  // 12x12 float + label + poison flag + trace row + source
  EXPECT_EQ(figures["buffer_bytes_per_sample"], 12 * 12 * 4 + 8 + 1 + 8 + 4);
  EXPECT_TRUE(std::isfinite(figures["exponent"].get<double>()));
  EXPECT_TRUE(std::isfinite(figures["exponent_without_fixed_cost"].get<double>()));
  const auto& scales = figures["scales"];
  ASSERT_EQ(scales.size(), 2u);
  EXPECT_EQ(scales[1]["scale"], 3);
  const std::vector<std::string> three_times = {
      "streams.0.arrival.rate=6", "attackers.0.arrival.rate=0.9", "retrain.buffer.capacity=30000"};
  EXPECT_EQ(scales[1]["overrides"].get<std::vector<std::string>>(), three_times);
  // Three times the arrival rate: about three times the stream's and the attacker's samples.
  const auto stream_samples = [](const nlohmann::json& s) {
    return static_cast<double>(s["samples"].get<int64_t>() - s["poison_samples"].get<int64_t>());
  };
  EXPECT_NEAR(stream_samples(scales[1]) / stream_samples(scales[0]), 3.0, 0.1);
  EXPECT_GT(scales[1]["poison_samples"].get<int64_t>(), scales[0]["poison_samples"].get<int64_t>());
  EXPECT_GT(scales[1]["largest_retraining_set"].get<int64_t>(),
            scales[0]["largest_retraining_set"].get<int64_t>());
  for (size_t k = 0; k < scales.size(); ++k) {
    const auto& s = scales[k];
    EXPECT_GT(s["max_rss_bytes"].get<int64_t>(), 10 << 20);  // LibTorch alone is larger
    EXPECT_EQ(s["trace_sample_rows"], s["samples"]);
    EXPECT_GT(s["trace_bytes_per_sample"].get<double>(), 0);
    // The simulation's seconds are its trace's stages but the fixed ones (one round: that run);
    // the fixed cost is the rest of the child's wall time, at least its fixed stages.
    const TraceReader trace(dir.file(fmt::format("runs/load0-round0-variant{}.h5", k)));
    const auto stages = nlohmann::json::parse(trace.metadata().stage_seconds);
    double simulation = 0, fixed = 0;
    for (const auto& [stage, seconds] : stages.items())
      (stage == "data loading" || stage == "pretraining" || stage == "surrogate training"
           ? fixed
           : simulation) += seconds.get<double>();
    EXPECT_GT(simulation, 0);
    EXPECT_NEAR(s["simulation_seconds"].get<double>(), simulation, 1e-9);
    EXPECT_GE(s["fixed_seconds"].get<double>(), fixed);
    EXPECT_LT(s["simulation_seconds"].get<double>(), s["wall_seconds"].get<double>());
  }
  // --work-dir keeps every run's trace and log.
  EXPECT_TRUE(std::filesystem::exists(dir.file("runs/load0-round0-variant1.h5")));
}

TEST_F(BenchCli, DefensesTimesEachStageAgainstTheRetraining) {
  const auto j = bench("defenses --scenario " + synthetic() +
                       " --window 200 --batch 16 --rounds 2 --stage '{type: loss-threshold}' "
                       "--stage '{type: knn, k: 5, bank_size: 300}' "
                       "--sanitizer '{type: spectral, bank_size: 300}'");
  ASSERT_TRUE(j.is_object());
  EXPECT_EQ(j["window"], 200);
  EXPECT_EQ(j["feature_dim"], 32);  // the synthetic scenario's hidden layer
  EXPECT_EQ(j["retrain_seconds"].size(), 2u);
  ASSERT_EQ(j["stages"].size(), 2u);
  EXPECT_EQ(j["stages"][0]["bank_bytes"], 0);
  // 300 images of 12x12 floats, 32 features and a label each.
  EXPECT_EQ(j["stages"][1]["bank_bytes"], 300 * ((144 + 32) * 4 + 8));
  for (const auto& stage : j["stages"]) {
    EXPECT_EQ(stage["window_seconds"].size(), 2u);
    EXPECT_GT(stage["samples_per_second"].get<double>(), 0);
    EXPECT_GT(stage["search_seconds_per_call"].get<double>(), 0);
  }
  // Per call: a guard is called once per arrival batch (200 samples in 13 batches of 16).
  const auto& knn = j["stages"][1];
  const auto search = knn["search_seconds"].get<std::vector<double>>();
  const double median_search = (search[0] + search[1]) / 2;
  EXPECT_NEAR(knn["search_seconds_per_call"].get<double>(), median_search / 13, 1e-12);
  EXPECT_DOUBLE_EQ(j["stages"][0]["search_ratio_to_first"].get<double>(), 1.0);
  // The sanitizer: its own list, timed on the same window, its trusted bank counted.
  ASSERT_EQ(j["sanitizers"].size(), 1u);
  EXPECT_EQ(j["sanitizers"][0]["stage"], "{type: spectral, bank_size: 300}");
  EXPECT_EQ(j["sanitizers"][0]["bank_bytes"], 300 * ((144 + 32) * 4 + 8));
  EXPECT_EQ(j["sanitizers"][0]["window_seconds"].size(), 2u);
  EXPECT_GT(j["sanitizers"][0]["samples_per_second"].get<double>(), 0);
  const std::string defenses = "bench defenses --scenario " + synthetic();
  expect_one_error_line(test::run_poisonsim(defenses + " --stage '{type: knn, k: 0}'"), "guard.k");
  expect_one_error_line(test::run_poisonsim(defenses + " --stage '{type: nope}'"), "guard.type");
  expect_one_error_line(test::run_poisonsim(defenses + " --sanitizer '{type: nope}'"),
                        "sanitize.0.type");
  expect_one_error_line(test::run_poisonsim(defenses + " --window 0"), "--window");
}

// G's roofline on the synthetic data: each step of G's training does the same products, so the
// FLOPs the profiler counts in each phase of the step double exactly with the steps, and the
// unrolled rule's backward pass (through the copy's steps) does more than the first-order one's.
TEST_F(BenchCli, GeneratorCountsTheFlopsOfEachPhaseOfGsTraining) {
  auto roofline = [&](int steps) {
    return bench(fmt::format(
        "generator --scenario {} --targets mlp --rounds 1 --n 40 --peak-size 128 --param "
        "steps={} --param select_every=0 --param batch_size=16 --param unroll_chunk=8",
        synthetic(), steps));
  };
  const auto four = roofline(4);
  const auto eight = roofline(8);
  ASSERT_TRUE(four.is_object() && eight.is_object());
  EXPECT_GT(four["peak_f32_gflops"].get<double>(), 0);
  // G's first layer and the target's, in f32 (portable numerics, the tests' default: no bf16).
  ASSERT_EQ(four["shape_roofs"].size(), 2u);
  EXPECT_EQ(four["shape_roofs"][0]["m"], 16);
  EXPECT_EQ(four["shape_roofs"][0]["bf16"], false);
  EXPECT_EQ(four["shape_roofs"][1]["m"], 8);
  ASSERT_EQ(four["rows"].size(), 2u);
  std::map<std::string, double> backward;
  for (size_t i = 0; i < 2; ++i) {
    const auto& a = four["rows"][i];
    const auto& b = eight["rows"][i];
    EXPECT_EQ(a["rule"], i == 0 ? "first-order" : "unrolled");
    EXPECT_EQ(a["steps"], 4);
    EXPECT_EQ(a["seconds"].size(), 1u);
    EXPECT_GT(a["counted_gflop"].get<double>(), 0);
    EXPECT_FALSE(a["gflop_lower_bound"].get<bool>());
    // Every second of the profiled run is in one category.
    double categories = 0;
    for (const auto& [name, seconds] : a["category_seconds"].items()) categories += seconds.get<double>();
    EXPECT_NEAR(categories, a["profiled_seconds"].get<double>(), 1e-3 * a["profiled_seconds"].get<double>());
    std::map<std::string, nlohmann::json> phases_a, phases_b;
    for (const auto& p : a["phases"]) phases_a[p["name"]] = p;
    for (const auto& p : b["phases"]) phases_b[p["name"]] = p;
    for (const char* name : {"G: objective", "G: backward and Adam"}) {
      ASSERT_TRUE(phases_a.count(name) && phases_b.count(name)) << a.dump();
      EXPECT_EQ(phases_a[name]["calls"], 4);
      EXPECT_EQ(phases_b[name]["calls"], 8);
      EXPECT_GT(phases_a[name]["flops"].get<double>(), 0) << name;
      EXPECT_DOUBLE_EQ(phases_b[name]["flops"].get<double>(),
                       2 * phases_a[name]["flops"].get<double>())
          << name;
    }
    EXPECT_EQ(phases_a.count("G: damage selection"), 0u);  // select_every=0
    backward[a["rule"]] = phases_a["G: backward and Adam"]["flops"].get<double>();
  }
  EXPECT_GT(backward["unrolled"], backward["first-order"]);
  const std::string generator = "bench generator --scenario " + synthetic();
  expect_one_error_line(test::run_poisonsim(generator + " --rules nope"), "--rules");
  expect_one_error_line(test::run_poisonsim(generator + " --targets gpu"), "--targets");
}

TEST_F(BenchCli, StartupTimesEachCommandThroughTheFrontAndTheEngineAlone) {
  const std::string trace = dir.file("run.h5");
  const auto run = test::run_poisonsim("run " + synthetic() + " --quiet -o " + trace);
  ASSERT_EQ(run.exit_code, 0) << run.output;
  const auto json =
      bench("startup --scenario " + synthetic() + " --trace " + trace + " --rounds 2");
  ASSERT_TRUE(json.contains("cases")) << json.dump();
  std::vector<std::string> commands;
  for (const auto& c : json["cases"]) {
    commands.push_back(c["command"].get<std::string>());
    for (const char* side : {"poisonsim_seconds", "engine_alone_seconds"}) {
      ASSERT_EQ(c[side].size(), 2u) << side;
      for (const auto& seconds : c[side]) EXPECT_GT(seconds.get<double>(), 0) << side;
    }
    EXPECT_NEAR(c["ratio"].get<double>(),
                c["engine_alone_median"].get<double>() / c["poisonsim_median"].get<double>(), 1e-9);
  }
  EXPECT_EQ(commands, (std::vector<std::string>{"--help", "inspect", "validate"}));
  // Without a trace there is nothing to inspect.
  EXPECT_EQ(bench("startup --scenario " + synthetic() + " --rounds 1")["cases"].size(), 2u);
  expect_one_error_line(test::run_poisonsim("bench startup --rounds 0"), "--rounds");
  expect_one_error_line(test::run_poisonsim("bench startup --trace " + dir.file("none.h5")),
                        "none.h5");
}

TEST_F(BenchCli, BadOptionsGiveOneErrorLineAndExitTwo) {
  const std::string training = "bench training --scenario " + synthetic();
  expect_one_error_line(test::run_poisonsim(training + " --rounds 0"), "--rounds");
  expect_one_error_line(test::run_poisonsim(training + " --samples 0"), "--samples");
  expect_one_error_line(test::run_poisonsim(training + " --samples many"), "--samples");
  expect_one_error_line(test::run_poisonsim("bench training --scenario " + dir.file("none.yaml")),
                        "none.yaml");
  expect_one_error_line(test::run_poisonsim(training + " --set model.kind=torchscript"), "model");
  test::write_text(dir.file("plain"), "a file, not a directory");
  expect_one_error_line(test::run_poisonsim(training + " --json " + dir.file("plain/x.json")),
                        "plain/x.json");

  const std::string growth = "bench growth --scenario " + synthetic();
  expect_one_error_line(test::run_poisonsim(growth + " --scales 4"), "--scales");
  expect_one_error_line(test::run_poisonsim(growth + " --scales 1,1"), "--scales");
  expect_one_error_line(test::run_poisonsim(growth + " --scales 0,2"), "--scales");
  expect_one_error_line(test::run_poisonsim(growth + " --rounds 0"), "--rounds");
  expect_one_error_line(test::run_poisonsim("bench growth --scenario " + dir.file("none.yaml")),
                        "none.yaml");
  // A scale that makes the scenario invalid is refused before anything runs.
  expect_one_error_line(
      test::run_poisonsim(growth + " --set retrain.buffer.capacity=100000 --scales 1,2000"),
      "capacity");
}

}  // namespace
}  // namespace poisonsim
