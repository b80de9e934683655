// `poisonsim attack` as a user runs it: a poison set file, the JSON figures, exit codes.
#include <cmath>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include <gtest/gtest.h>

#include "pipeline/trace/poison_set_file.h"
#include "tests/test_support.h"

namespace poisonsim {
namespace {

std::string synthetic() {
  return std::string(POISONSIM_SOURCE_DIR) + "/tests/scenarios/synthetic-small.yaml";
}

struct AttackCli : ::testing::Test {
  static void SetUpTestSuite() { setenv("POISONSIM_CACHE_DIR", cache().path().c_str(), 1); }
  static test::ScratchDir& cache() {
    static test::ScratchDir dir;
    return dir;
  }
  test::ScratchDir dir;

  nlohmann::json attack(const std::string& method, const std::string& extra) {
    const auto result =
        test::run_poisonsim("--log-level warn attack --scenario " + synthetic() + " --method " +
                            method + " --n 60 --retrain-seeds 2 -o " + dir.file(method + ".h5") +
                            " --json " + dir.file(method + ".json") + " --force " +
                            extra);  // a test may attack with a method twice: one file
    EXPECT_EQ(result.exit_code, 0) << result.output;
    EXPECT_NE(result.output.find("clean test accuracy"), std::string::npos) << result.output;
    return nlohmann::json::parse(test::read_text(dir.file(method + ".json")));
  }
};

TEST_F(AttackCli, EveryMethodWritesItsPoisonSetAndFigures) {
  for (const auto& [method, extra] : std::vector<std::pair<std::string, std::string>>{
           {"labelflip", ""},
           {"noise", "--param l2=2"},
           {"direct", "--group-size 20 --param iterations=3"},
           {"generative", "--param steps=5 --param select_every=0"}}) {
    SCOPED_TRACE(method);
    const auto figures = attack(method, extra);
    for (const char* key : {"method", "n", "seconds", "samples_per_second", "accuracy_before",
                            "accuracy_after", "mean_loss_poison", "mean_loss_clean"})
      EXPECT_TRUE(figures.contains(key)) << key;
    EXPECT_EQ(figures["n"], 60);
    EXPECT_EQ(figures["accuracy_after_runs"].size(), 2u);
    // Two shuffles: the 95% interval is t(1) = 12.706 times the standard error.
    EXPECT_NEAR(figures["accuracy_after_ci95"].get<double>(),
                12.706 * figures["accuracy_after_std"].get<double>() / std::sqrt(2.0), 1e-3);
    const auto set = read_poison_set(dir.file(method + ".h5"));
    ASSERT_EQ(set.poison.size(), 60u);
    ASSERT_EQ(set.seeds.size(), 60u);
    EXPECT_EQ(set.poison.shape, (ImageShape{1, 12, 12}));
    for (float v : set.poison.pixels) {
      ASSERT_GE(v, 0.0f);
      ASSERT_LE(v, 1.0f);
    }
    EXPECT_EQ(nlohmann::json::parse(set.figures_json)["method"], method);
  }
}

TEST_F(AttackCli, LabelFlipChangesLabelsNoiseKeepsThemAtTheAskedDistance) {
  attack("labelflip", "");
  const auto flipped = read_poison_set(dir.file("labelflip.h5"));
  for (size_t i = 0; i < flipped.poison.size(); ++i)
    EXPECT_NE(flipped.poison.labels[i], flipped.seeds.labels[i]);
  EXPECT_EQ(flipped.poison.pixels, flipped.seeds.pixels);
  const auto figures = attack("noise", "--param l2=1.5");
  EXPECT_NEAR(figures["mean_l2_from_seed"].get<double>(), 1.5, 1e-3);  // after clipping
}

TEST_F(AttackCli, GuardDetectionIsTheScenarioGuardsVerdicts) {
  // synthetic-small.yaml guards with loss-threshold 3: label-flipped samples have a far larger
  // loss than their seeds, so the guard rejects a larger share of them.
  const auto figures = attack("labelflip", "");
  ASSERT_TRUE(figures.contains("guard")) << figures.dump();
  const auto& guard = figures["guard"];
  EXPECT_EQ(guard["type"], "loss-threshold");
  EXPECT_EQ(guard["threshold"], 3.0);
  EXPECT_GT(guard["poison_rejected"].get<double>(), guard["clean_rejected"].get<double>());
  // Every finite loss is below a huge threshold and above a tiny one.
  const auto lenient = attack("labelflip", "--set guard.threshold=1e9");
  EXPECT_EQ(lenient["guard"]["poison_rejected"], 0.0);
  EXPECT_EQ(lenient["guard"]["clean_rejected"], 0.0);
  const auto strict = attack("labelflip", "--set guard.threshold=1e-12");
  EXPECT_EQ(strict["guard"]["poison_rejected"], 1.0);
  // No guard, no detection figures.
  EXPECT_FALSE(attack("labelflip", "--set 'guard={type: none}'").contains("guard"));
}

TEST_F(AttackCli, JsonToStdoutIsTheOnlyThingOnStdout) {
  // run_command merges stderr into the output: -q (no progress bars, warnings only) keeps it
  // empty, so the output is stdout alone.
  const auto attack = test::run_command(
      test::poisonsim_binary() + " -q attack --scenario " + synthetic() +
      " --method labelflip --n 20 " + "--retrain-seeds 3 -o " + dir.file("flip.h5") + " --json -");
  ASSERT_EQ(attack.exit_code, 0) << attack.output;
  const auto figures = nlohmann::json::parse(attack.output);
  EXPECT_EQ(figures["method"], "labelflip");
  EXPECT_TRUE(figures["accuracy_clean_only"]["ci95_half_width"].is_number());
  const auto bench = test::run_command(test::poisonsim_binary() + " -q bench attacks --scenario " +
                                       synthetic() + " --n 10 --group-sizes 5 --engines factored " +
                                       "--retrain-seeds 2 --json -");
  ASSERT_EQ(bench.exit_code, 0) << bench.output;
  EXPECT_EQ(nlohmann::json::parse(bench.output)["retrain_seeds"], 2);
}

TEST_F(AttackCli, BenchWritesEveryMethodsPoisonSet) {
  const auto result = test::run_poisonsim(
      "--log-level warn bench attacks --scenario " + synthetic() +
      " --n 10 --group-sizes 5 --retrain-seeds 1 --set guard.threshold=2 --poison-dir " +
      dir.file("poison") + " --json " + dir.file("bench.json"));
  ASSERT_EQ(result.exit_code, 0) << result.output;
  EXPECT_NE(result.output.find("rejected: share the scenario's loss-threshold guard (threshold 2)"),
            std::string::npos)
      << result.output;
  const auto bench = nlohmann::json::parse(test::read_text(dir.file("bench.json")));
  std::vector<std::string> files;
  for (const auto& method : bench["methods"]) {
    files.push_back(method["poison_file"].get<std::string>());
    EXPECT_EQ(method["guard"]["threshold"], 2.0);
    const auto set = read_poison_set(files.back());
    EXPECT_EQ(set.poison.size(), 10u);
    EXPECT_EQ(nlohmann::json::parse(set.figures_json)["label"], method["label"]);
  }
  // The direct method once per engine, each row saying which engine ran.
  ASSERT_EQ(files.size(), 7u);
  EXPECT_EQ(files[0], dir.file("poison") + "/direct-g-5-factored.h5");
  EXPECT_EQ(files[1], dir.file("poison") + "/direct-g-5-autograd.h5");
  EXPECT_EQ(files[2], dir.file("poison") + "/generative-unrolled.h5");
  EXPECT_EQ(files[4], dir.file("poison") + "/generative-diverse.h5");
  EXPECT_EQ(bench["methods"][0]["engine"], "factored");
  EXPECT_EQ(bench["methods"][1]["engine"], "autograd");
  EXPECT_EQ(bench["methods"][1]["direct"]["engine"], "autograd");
  EXPECT_NE(result.output.find("direct g=5 factored"), std::string::npos) << result.output;
  EXPECT_NE(result.output.find("factored engine / autograd engine"), std::string::npos)
      << result.output;

  // A directory that cannot be made fails before any generation, naming it.
  test::write_text(dir.file("plain"), "x");
  const auto bad = test::run_poisonsim("bench attacks --scenario " + synthetic() +
                                       " --n 10 --poison-dir " + dir.file("plain") + "/sub");
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_NE(bad.output.find("plain/sub: cannot create the directory"), std::string::npos)
      << bad.output;
}

TEST_F(AttackCli, BadRequestsExitTwo) {
  auto unknown = test::run_poisonsim("attack --method magic --n 5");
  EXPECT_EQ(unknown.exit_code, 2);
  auto bad_param =
      test::run_poisonsim("attack --scenario " + synthetic() +
                          " --method noise --n 5 --param l2=-1 -o " + dir.file("x.h5"));
  EXPECT_EQ(bad_param.exit_code, 2);
  EXPECT_NE(bad_param.output.find("attackers.0.l2"), std::string::npos) << bad_param.output;
  auto typo = test::run_poisonsim("attack --scenario " + synthetic() +
                                  " --method noise --n 5 --param l3=1 -o " + dir.file("x.h5"));
  EXPECT_EQ(typo.exit_code, 2);
  EXPECT_NE(typo.output.find("did you mean 'l2'"), std::string::npos) << typo.output;
  auto engine = test::run_poisonsim("attack --scenario " + synthetic() +
                                    " --method direct --n 5 --param engine=factored "
                                    "--param unroll_steps=2 -o " +
                                    dir.file("x.h5"));
  EXPECT_EQ(engine.exit_code, 2);
  EXPECT_NE(engine.output.find("attackers.0.engine: factored simulates one SGD step"),
            std::string::npos)
      << engine.output;
}

// Every registered attacker type is a method: a Python attacker named by --param file and class,
// and a replayed set, here the Python attacker's own, which comes back label for label.
TEST_F(AttackCli, APythonAttackerAndAReplayedSetAreMethodsToo) {
  const std::string plugin = std::string(POISONSIM_SOURCE_DIR) + "/scenarios/plugins/label_flip.py";
  attack("python", "--param file=" + plugin + " --param class=LabelFlip");
  const auto flipped = read_poison_set(dir.file("python.h5"));
  ASSERT_EQ(flipped.poison.size(), 60u);
  for (size_t i = 0; i < flipped.poison.size(); ++i)  // labels: next-class, the plug-in's default
    EXPECT_EQ(flipped.poison.labels[i], (flipped.seeds.labels[i] + 1) % flipped.poison.num_classes);
  attack("replay", "--param file=" + dir.file("python.h5"));
  const auto replayed = read_poison_set(dir.file("replay.h5"));
  EXPECT_EQ(replayed.poison.labels, flipped.poison.labels);
  EXPECT_EQ(replayed.poison.pixels, flipped.poison.pixels);
  const auto unknown = test::run_poisonsim("attack --method magic --n 5");
  EXPECT_EQ(unknown.exit_code, 2);
  EXPECT_NE(unknown.output.find("replay"), std::string::npos) << unknown.output;  // the choices
}

TEST_F(AttackCli, DirectEngineIsChosenAndReported) {
  const auto automatic = attack("direct", "--group-size 20 --param iterations=2");
  EXPECT_EQ(automatic["engine"], "factored");  // the scenario's target is an mlp
  const auto autograd = attack("direct",
                               "--group-size 20 --param iterations=2 --param "
                               "engine=autograd");
  EXPECT_EQ(autograd["engine"], "autograd");
  EXPECT_EQ(autograd["direct"]["engine"], "autograd");
  const auto unrolled = attack("direct",
                               "--group-size 20 --param iterations=2 --param "
                               "unroll_steps=2");
  EXPECT_EQ(unrolled["engine"], "autograd");  // auto: only autograd is exact there
}

}  // namespace
}  // namespace poisonsim
