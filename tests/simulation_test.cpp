// Whole runs through the CLI, on real Fashion-MNIST and on small synthetic data.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <map>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "pipeline/trace/trace_reader.h"
#include "tests/test_support.h"
#include "tests/trace_row_fields.h"

namespace poisonsim {
namespace {

std::string quickstart() {
  return std::string(POISONSIM_SOURCE_DIR) + "/scenarios/quickstart.yaml";
}

test::CommandResult run_quietly(const std::string& arguments) {
  return test::run_poisonsim("--log-level warn " + arguments + " --quiet");
}

// Runs share one pretrain cache, in a scratch directory rather than the user's.
struct CachedRuns : ::testing::Test {
  static void SetUpTestSuite() { setenv("POISONSIM_CACHE_DIR", cache().path().c_str(), 1); }
  static test::ScratchDir& cache() {
    static test::ScratchDir dir;
    return dir;
  }
  test::ScratchDir dir;
};

using test::expect_same_trace;

TEST_F(CachedRuns, QuickstartIsIdenticalWithOneAndTwoThreads) {
  if (test::fashion_mnist_dir().empty()) GTEST_SKIP() << "Fashion-MNIST not installed";
  // 180 s: the generative attacker starts at 60 s and its generator trains and refreshes.
  const std::string common = "run " + quickstart() + " --set duration=180 ";
  auto one = run_quietly(common + "--threads 1 -o " + dir.file("t1.h5"));
  ASSERT_EQ(one.exit_code, 0) << one.output;
  auto two = run_quietly(common + "--threads 2 -o " + dir.file("t2.h5"));
  ASSERT_EQ(two.exit_code, 0) << two.output;
  expect_same_trace(dir.file("t1.h5"), dir.file("t2.h5"));
  const auto trace = read_trace(dir.file("t1.h5"));
  EXPECT_TRUE(trace.complete);
  EXPECT_GT(trace.samples.size(), 10000u);
  EXPECT_EQ(trace.retrains.size(), 3u);
  // The resolved scenario in the trace reproduces the run by itself.
  test::write_text(dir.file("from-trace.yaml"), trace.metadata.scenario_yaml);
  auto again = run_quietly("run " + dir.file("from-trace.yaml") + " -o " + dir.file("t3.h5"));
  ASSERT_EQ(again.exit_code, 0) << again.output;
  expect_same_trace(dir.file("t1.h5"), dir.file("t3.h5"));
}

// The quickstart's generative poison: the paper's countermeasure catches most of it.
TEST_F(CachedRuns, LossGuardRejectsGenerativePoisonOnRealData) {
  if (test::fashion_mnist_dir().empty()) GTEST_SKIP() << "Fashion-MNIST not installed";
  auto result = run_quietly("run " + quickstart() + " --set duration=300 -o " + dir.file("q.h5"));
  ASSERT_EQ(result.exit_code, 0) << result.output;
  int64_t poison = 0, poison_rejected = 0, clean = 0, clean_rejected = 0;
  for (const auto& s : read_trace(dir.file("q.h5")).samples) {
    (s.is_poison ? poison : clean) += 1;
    (s.is_poison ? poison_rejected : clean_rejected) += s.rejected;
  }
  ASSERT_GT(poison, 0);
  EXPECT_GT(static_cast<double>(poison_rejected) / static_cast<double>(poison), 0.7);
  EXPECT_LT(static_cast<double>(clean_rejected) / static_cast<double>(clean), 0.05);
}

// The retrains' test accuracies are the evaluations' figures of the same versions: before, the
// deployed model's; after, the candidate's, which evaluations see once it is deployed.
TEST_F(CachedRuns, RetrainTestAccuracyMatchesTheEvaluationsOfEachVersion) {
  if (test::fashion_mnist_dir().empty()) GTEST_SKIP() << "Fashion-MNIST not installed";
  auto result = run_quietly("run " + quickstart() + " --set duration=240 -o " + dir.file("q.h5"));
  ASSERT_EQ(result.exit_code, 0) << result.output;
  const auto trace = read_trace(dir.file("q.h5"));
  std::map<int64_t, double> accuracy;  // model version -> its evaluations' accuracy
  for (const auto& e : trace.evaluations) accuracy[e.model_version] = e.accuracy;
  int before = 0, after = 0;
  for (const auto& r : trace.retrains) {
    const int64_t previous = r.deployed ? r.model_version - 1 : r.model_version;
    ASSERT_TRUE(accuracy.count(previous)) << "retrain " << r.index;
    EXPECT_EQ(r.test_accuracy_before, accuracy[previous]) << "retrain " << r.index;
    ++before;
    if (r.deployed && accuracy.count(r.model_version)) {
      EXPECT_EQ(r.test_accuracy_after, accuracy[r.model_version]) << "retrain " << r.index;
      ++after;
    }
  }
  EXPECT_EQ(before, 4);
  EXPECT_GT(after, 0);
}

TEST_F(CachedRuns, LossGuardRejectsLabelFlipsOnRealData) {
  if (test::fashion_mnist_dir().empty()) GTEST_SKIP() << "Fashion-MNIST not installed";
  auto result = run_quietly(
      "run " + quickstart() +
      " --set duration=300 --set 'attackers=[{name: flipper, type: label-flip, arrival: {rate: "
      "0.2}, start: 120}]' -o " +
      dir.file("q.h5"));
  ASSERT_EQ(result.exit_code, 0) << result.output;
  int64_t poison = 0, poison_rejected = 0, clean = 0, clean_rejected = 0;
  for (const auto& s : read_trace(dir.file("q.h5")).samples) {
    (s.is_poison ? poison : clean) += 1;
    (s.is_poison ? poison_rejected : clean_rejected) += s.rejected;
    if (s.is_poison) {
      EXPECT_NE(s.label, s.true_label);
    }
  }
  ASSERT_GT(poison, 0);
  EXPECT_GT(static_cast<double>(poison_rejected) / static_cast<double>(poison), 0.8);
  EXPECT_LT(static_cast<double>(clean_rejected) / static_cast<double>(clean), 0.1);
}

// A small synthetic scenario (tests/scenarios/synthetic-small.yaml): fast enough to exercise
// every option.
std::string synthetic() {
  return std::string(POISONSIM_SOURCE_DIR) + "/tests/scenarios/synthetic-small.yaml";
}

TEST_F(CachedRuns, CleanStreamAloneRuns) {
  auto result =
      run_quietly("run " + synthetic() + " --set attackers=[] --set 'guard={type: none}' -o " +
                  dir.file("s.h5"));
  ASSERT_EQ(result.exit_code, 0) << result.output;
  const auto trace = read_trace(dir.file("s.h5"));
  // Fixed rate 2/s: arrivals at 0.5, 1.0, ..., 100.0 (the horizon is inclusive): 200 of 16.
  EXPECT_EQ(trace.samples.size(), 200u * 16u);
  EXPECT_EQ(trace.evaluations.size(), 6u);  // 0, 20, ..., 100
  for (const auto& s : trace.samples) {
    EXPECT_EQ(s.is_poison, 0);
    EXPECT_EQ(s.rejected, 0);  // guard none
  }
  EXPECT_GT(trace.evaluations.back().accuracy, 0.8);
  // Events come in time order.
  for (size_t i = 1; i < trace.events.size(); ++i)
    EXPECT_LE(trace.events[i - 1].time, trace.events[i].time);
  EXPECT_EQ(trace_name(trace.events.back().kind), "end");
}

// A retrain trains on what the guard accepted since the last one (the buffer, cleared after each
// retrain), plus retrain.replay pretraining samples when set.
TEST_F(CachedRuns, RetrainsTrainOnTheAcceptedSamplesPlusReplay) {
  for (const int64_t replay : {0, 50}) {
    const auto trace_path = dir.file("replay" + std::to_string(replay) + ".h5");
    auto result =
        run_quietly("run " + synthetic() + " --set retrain.replay=" + std::to_string(replay) +
                    " -o " + trace_path);
    ASSERT_EQ(result.exit_code, 0) << result.output;
    const auto trace = read_trace(trace_path);
    int64_t accepted = 0;
    int64_t retrains = 0;
    for (const auto& event : trace.events) {
      const auto kind = trace_name(event.kind);
      if (kind == "stream-batch" || kind == "poison-batch") accepted += event.accepted;
      if (kind != "retrain") continue;
      EXPECT_EQ(event.size, accepted + replay) << "replay " << replay << ", retrain " << retrains;
      EXPECT_EQ(trace.retrains.at(static_cast<size_t>(retrains)).buffer_size, accepted + replay);
      accepted = 0;
      ++retrains;
    }
    EXPECT_EQ(retrains, 5);
  }
}

TEST_F(CachedRuns, BudgetBufferTriggerAndKnowledgeSettings) {
  const std::string overrides =
      " --set retrain.trigger=buffer --set retrain.min_samples=500"
      " --set 'attackers=[{type: label-flip, name: stale, budget: 100, batch_size: 30,"
      " arrival: {rate: 1}, knowledge: {model: stale, stale_retrains: 2}},"
      " {type: label-flip, name: sur, labels: random-other, arrival: {rate: 0.5},"
      " knowledge: {model: surrogate}}]'";
  auto result = run_quietly("run " + synthetic() + overrides + " -o " + dir.file("b.h5"));
  ASSERT_EQ(result.exit_code, 0) << result.output;
  const auto trace = read_trace(dir.file("b.h5"));
  int64_t from_stale = 0, from_surrogate = 0;
  for (const auto& s : trace.samples) {
    from_stale += trace_name(s.source) == "stale";
    from_surrogate += trace_name(s.source) == "sur";
  }
  EXPECT_EQ(from_stale, 100);  // the budget, the last batch cut to fit
  EXPECT_GT(from_surrogate, 0);
  ASSERT_FALSE(trace.retrains.empty());
  for (const auto& r : trace.retrains) EXPECT_GE(r.buffer_size, 500);
}

// `generate_ahead`: the direct attacker makes 40 samples at a time as one victim-aware ascent
// problem and hands them out 8 per arrival. Arrivals and poison counts are those of the run
// that makes each batch on arrival (arrivals have their own stream); the poison differs.
TEST_F(CachedRuns, PoisonMadeAheadKeepsArrivalsAndChangesThePoison) {
  const std::string attacker =
      " --set 'attackers=[{type: direct, name: grad, iterations: 2, group_size: 40, batch_size: 8,"
      " objective: victim-aware, unroll_steps: 4, engine: autograd, arrival: {rate: 0.2}}]'";
  auto each = run_quietly("run " + synthetic() + attacker + " -o " + dir.file("each.h5"));
  ASSERT_EQ(each.exit_code, 0) << each.output;
  auto ahead = run_quietly("run " + synthetic() + attacker +
                           " --set attackers.0.generate_ahead=40 -o " + dir.file("ahead.h5"));
  ASSERT_EQ(ahead.exit_code, 0) << ahead.output;
  const auto a = read_trace(dir.file("each.h5"));
  const auto b = read_trace(dir.file("ahead.h5"));
  std::vector<double> times_a, times_b;
  for (const auto& e : a.events)
    if (trace_name(e.source) == "grad") times_a.push_back(e.time);
  for (const auto& e : b.events)
    if (trace_name(e.source) == "grad") times_b.push_back(e.time);
  ASSERT_GT(times_a.size(), 2u);
  EXPECT_EQ(times_a, times_b);
  std::vector<float> loss_a, loss_b;
  for (const auto& s : a.samples)
    if (s.is_poison) loss_a.push_back(s.loss);
  for (const auto& s : b.samples)
    if (s.is_poison) loss_b.push_back(s.loss);
  ASSERT_EQ(loss_a.size(), loss_b.size());
  EXPECT_NE(loss_a, loss_b);
}

TEST_F(CachedRuns, PaperAttackersRunInsideTheSimulation) {
  const std::string overrides =
      " --set 'attackers=[{type: direct, name: grad, iterations: 3, group_size: 8, batch_size: 8,"
      " arrival: {rate: 0.2}}, {type: generative, name: gen, steps: 10, select_every: 0,"
      " batch_size: 8, arrival: {rate: 0.2}, refresh_every: 2}]'";
  const auto started = std::chrono::steady_clock::now();
  auto result = run_quietly("run " + synthetic() + overrides + " -o " + dir.file("p.h5"));
  const std::chrono::duration<double> wall = std::chrono::steady_clock::now() - started;
  ASSERT_EQ(result.exit_code, 0) << result.output;
  const auto trace = read_trace(dir.file("p.h5"));
  int64_t grad = 0, gen = 0;
  float grad_loss = 0, clean_loss = 0;
  int64_t clean = 0;
  for (const auto& s : trace.samples) {
    const auto source = trace_name(s.source);
    if (source == "grad") {
      grad += 1;
      grad_loss += s.loss;
    }
    if (source == "gen") gen += 1;
    if (!s.is_poison) {
      clean += 1;
      clean_loss += s.loss;
    }
    if (source == "grad" || source == "gen") {
      EXPECT_EQ(s.is_poison, 1);
    }
  }
  ASSERT_GT(grad, 0);
  ASSERT_GT(gen, 0);
  // The trace says where the wall time went, the generator's training as its own stage: every
  // stage this run did took time, and together they fit in the process's wall time.
  const auto stages = nlohmann::json::parse(trace.metadata.stage_seconds);
  double total = 0;
  for (const char* stage :
       {"data loading", "pretraining", "poison generation", "generator training",
        "scoring and guard", "retraining", "evaluation", "trace writing"}) {
    ASSERT_TRUE(stages.contains(stage)) << stage << " in " << stages.dump();
    total += stages[stage].get<double>();
  }
  for (const char* did :
       {"poison generation", "generator training", "scoring and guard", "retraining", "evaluation"})
    EXPECT_GT(stages[did].get<double>(), 0.0) << did << " in " << stages.dump();
  EXPECT_LE(total, wall.count()) << stages.dump();
  // Optimised poison looks implausible to the deployed model: what the loss guard relies on.
  EXPECT_GT(grad_loss / static_cast<float>(grad), 2 * clean_loss / static_cast<float>(clean));
}

// Arrival times are drawn from their own streams: the generator, which retrains at every
// deployment, and so draws more or less depending on the gate's floating-point decisions, never
// moves them. Gate "none" deploys every retrained model; the strict gate refuses most.
TEST_F(CachedRuns, ArrivalsDoNotDependOnTheGatesDecisions) {
  const std::string common =
      "run " + synthetic() +
      " --set streams.0.label_noise=0.1 --set 'attackers=[{type: generative, name: gen,"
      " steps: 5, select_every: 0, batch_size: 8, arrival: {rate: 0.3}, refresh_every: 1}]'";
  auto all = run_quietly(common + " --set 'gate={type: none}' -o " + dir.file("all.h5"));
  ASSERT_EQ(all.exit_code, 0) << all.output;
  auto strict = run_quietly(common +
                            " --set 'gate={type: validation, max_loss_increase: 0,"
                            " max_accuracy_drop: 0}' -o " +
                            dir.file("strict.h5"));
  ASSERT_EQ(strict.exit_code, 0) << strict.output;
  const auto a = read_trace(dir.file("all.h5"));
  const auto b = read_trace(dir.file("strict.h5"));
  auto deployed = [](const TraceContents& t) {
    int64_t n = 0;
    for (const auto& r : t.retrains) n += r.deployed;
    return n;
  };
  ASSERT_NE(deployed(a), deployed(b)) << "the two gates must decide differently for this test";
  ASSERT_EQ(a.samples.size(), b.samples.size());
  size_t poison = 0;
  for (size_t i = 0; i < a.samples.size(); ++i) {
    ASSERT_EQ(a.samples[i].time, b.samples[i].time) << "sample " << i;
    ASSERT_EQ(trace_name(a.samples[i].source), trace_name(b.samples[i].source)) << i;
    // The stream's samples and their label noise do not depend on the models either.
    if (!a.samples[i].is_poison) {
      ASSERT_EQ(a.samples[i].label, b.samples[i].label) << i;
      ASSERT_EQ(a.samples[i].true_label, b.samples[i].true_label) << i;
    }
    poison += a.samples[i].is_poison;
  }
  EXPECT_GT(poison, 0u);
}

TEST_F(CachedRuns, RefusesToOverwriteWithoutForce) {
  test::write_text(dir.file("keep.h5"), "precious");
  auto result = run_quietly("run " + synthetic() + " -o " + dir.file("keep.h5"));
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_NE(result.output.find("--force"), std::string::npos) << result.output;
  EXPECT_EQ(test::read_text(dir.file("keep.h5")), "precious");
}

TEST_F(CachedRuns, MissingDataFilesAreAUserError) {
  test::write_text(dir.file("s.yaml"),
                   "duration: 10\ndata: {kind: cifar10, path: " + dir.file("nowhere") + "}\n");
  auto result = run_quietly("run " + dir.file("s.yaml") + " -o " + dir.file("x.h5"));
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_NE(result.output.find("cifar-10-batches-bin"), std::string::npos) << result.output;
}

}  // namespace
}  // namespace poisonsim

namespace poisonsim {
namespace {

// Every trace says where it came from: program and commit, command, machine, libraries,
// threads, host and start time (issue 14's provenance).
TEST_F(CachedRuns, TraceRecordsItsProvenance) {
  const std::string scenario =
      std::string(POISONSIM_SOURCE_DIR) + "/tests/scenarios/synthetic-small.yaml";
  const auto trace = dir.file("p.h5");
  const auto run = run_quietly("--threads 1 run " + scenario + " -o " + trace +
                               " --set duration=20 --set compute.train_threads=1");
  ASSERT_EQ(run.exit_code, 0) << run.output;
  const auto p = nlohmann::json::parse(TraceReader(trace).metadata().provenance);
  for (const char* key :
       {"poisonsim_version", "git_commit", "cpu", "instruction_sets", "blas", "blas_kernel",
        "libtorch", "onednn", "onetbb", "hdf5", "host", "start_time_utc"}) {
    ASSERT_TRUE(p.contains(key)) << key << " in " << p.dump();
    EXPECT_FALSE(p[key].get<std::string>().empty()) << key;
  }
  const auto words = p["command_line"].get<std::vector<std::string>>();
  EXPECT_NE(std::find(words.begin(), words.end(), "compute.train_threads=1"), words.end());
  EXPECT_EQ(p["threads"]["libtorch"], 1);
  EXPECT_EQ(p["threads"]["scoring"], 1);
  EXPECT_EQ(p["threads"]["blas"], 1);
  EXPECT_EQ(p["start_time_utc"].get<std::string>().size(), 20u);  // 2026-12-01T08:00:00Z
  const auto shown = test::run_poisonsim("inspect " + trace);
  EXPECT_NE(shown.output.find("provenance poisonsim "), std::string::npos) << shown.output;
}

// The run's summary and `inspect` of its trace get their headline numbers from one sink
// (pipeline/trace/run_metrics.h), fed live by the run and from the tables by inspect: they agree
// number for number, with and without a samples table.
TEST_F(CachedRuns, RunSummaryAndInspectAgree) {
  const std::string scenario =
      std::string(POISONSIM_SOURCE_DIR) + "/tests/scenarios/synthetic-small.yaml";
  for (const std::string samples : {"true", "false"}) {
    const auto trace = dir.file("agree-" + samples + ".h5");
    const auto run = test::run_poisonsim("--log-level warn run " + scenario + " -o " + trace +
                                         " --quiet --set trace.samples=" + samples + " --json -");
    ASSERT_EQ(run.exit_code, 0) << run.output;
    const auto inspected = test::run_poisonsim("--log-level warn inspect " + trace + " --json");
    ASSERT_EQ(inspected.exit_code, 0) << inspected.output;
    const auto r = nlohmann::ordered_json::parse(run.output);  // sources in the run's order
    const auto i = nlohmann::ordered_json::parse(inspected.output);
    EXPECT_EQ(r["retrains"]["total"], i["retrains"]["count"]);
    EXPECT_EQ(r["retrains"]["deployed"], i["retrains"]["deployed"]);
    EXPECT_EQ(r["retrains"]["refused"], i["retrains"]["refused"]);
    EXPECT_EQ(r["accuracy"]["first"], i["evaluations"]["first"]["accuracy"]);
    EXPECT_EQ(r["accuracy"]["last"], i["evaluations"]["last"]["accuracy"]);
    EXPECT_EQ(r["accuracy"]["min"], i["evaluations"]["min"]["accuracy"]);
    ASSERT_EQ(r["sources"].size(), i["sources"].size());
    size_t k = 0;
    for (const auto& [name, source] : r["sources"].items()) {
      const auto& other = i["sources"][k++];
      EXPECT_EQ(name, other["name"]) << "sources in the same order";
      EXPECT_EQ(source["batches"], other["batches"]) << name;
      EXPECT_EQ(source["samples"], other["samples"]) << name;
      EXPECT_EQ(source["rejected"], other["rejected"]) << name;
    }
    EXPECT_GT(r["retrains"]["total"].get<int>(), 0);
  }
}

}  // namespace
}  // namespace poisonsim
