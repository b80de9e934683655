// `type: python` guards, sanitizers, gates and attackers (guards/python/, attackers/python/,
// docs/plugins.md): each error class in the
// user's code ends in exit code 2 with one line naming the user's file and line (at validation
// where it can be found there), the traceback only under -v, a mid-run error keeps a readable
// trace; checkpoints carry the plug-in's state() or refuse to resume; a sanitizer's keep mask
// removes what it says.
#include <csignal>
#include <cstring>
#include <filesystem>
#include <sstream>
#include <string>

#include <gtest/gtest.h>

#include "pipeline/trace/trace_reader.h"
#include "tests/background_run.h"
#include "tests/test_support.h"

namespace poisonsim {
namespace {

namespace fs = std::filesystem;

const std::string kSource = POISONSIM_SOURCE_DIR;
const std::string kScenario = kSource + "/tests/scenarios/synthetic-small.yaml";
const std::string kPlugins = kSource + "/tests/python-plugins";

// The catalogue's first line:
// "# expect: <guard|sanitizer|gate|attacker> <validate|run> <line> <fragment>".
struct Expectation {
  std::string stage, when, line, fragment;
};

Expectation expectation_of(const std::string& path) {
  const std::string text = test::read_text(path);
  const std::string marker = "# expect: ";
  EXPECT_EQ(text.rfind(marker, 0), 0u) << path << " has no expect line";
  std::istringstream in(text.substr(marker.size(), text.find('\n') - marker.size()));
  Expectation e;
  in >> e.stage >> e.when >> e.line;
  std::getline(in >> std::ws, e.fragment);
  return e;
}

// --set of a one-stage guard, sanitizer or gate of class `cls` in `file`, with extra keys; or
// of the scenario's one attacker (its name, arrival and batch size kept).
std::string stage_override(const std::string& stage, const std::string& file,
                           const std::string& cls, const std::string& extra = "") {
  if (stage == "attacker")
    return " --set attackers.0.type=python --set attackers.0.file=" + file +
           " --set attackers.0.class=" + cls + extra;
  const std::string block = "{type: python, file: " + file + ", class: " + cls + extra + "}";
  if (stage == "sanitizer") return " --set 'sanitize=[" + block + "]'";
  return " --set '" + stage + "=" + block + "'";  // guard, gate
}

class PythonPlugins : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new test::ScratchDir();
    setenv("POISONSIM_CACHE_DIR", dir_->file("cache").c_str(), 1);
  }
  static void TearDownTestSuite() {
    delete dir_;
    dir_ = nullptr;
  }
  static std::string file(const std::string& name) { return dir_->file(name); }

 private:
  static test::ScratchDir* dir_;
};
test::ScratchDir* PythonPlugins::dir_ = nullptr;

TEST_F(PythonPlugins, EachErrorInTheUsersCodeIsOneLineNamingItsFileAndLine) {
  size_t cases = 0;
  for (const auto& entry : fs::directory_iterator(kPlugins)) {
    if (entry.path().extension() != ".py") continue;
    ++cases;
    const std::string path = entry.path().string();
    SCOPED_TRACE(path);
    const Expectation e = expectation_of(path);
    const std::string cls = e.stage == "guard"      ? "Guard"
                            : e.stage == "gate"     ? "Gate"
                            : e.stage == "attacker" ? "Attacker"
                                                    : "Sanitizer";
    const std::string stage = stage_override(e.stage, path, cls);
    const auto validated = test::run_poisonsim("validate " + kScenario + stage);
    const auto trace = file(entry.path().stem().string() + ".h5");
    const auto result = e.when == "validate"
                            ? validated
                            : test::run_poisonsim("--log-level warn run " + kScenario + " -o " +
                                                  trace + " --quiet --force" + stage);
    if (e.when == "run") {
      EXPECT_EQ(validated.exit_code, 0) << validated.output;
    }
    EXPECT_EQ(result.exit_code, 2) << result.output;
    EXPECT_TRUE(test::single_error_line(result.output)) << result.output;
    EXPECT_EQ(result.output.rfind("error: " + path + ":" + e.line + ": ", 0), 0u) << result.output;
    EXPECT_NE(result.output.find(e.fragment), std::string::npos) << result.output;
    EXPECT_EQ(result.output.find("Traceback"), std::string::npos) << "only under -v";
    if (e.when == "run") {
      // The rows written before the error stay readable, as after any run-time error.
      const auto partial = trace + ".partial";
      EXPECT_NE(result.output.find(partial), std::string::npos) << result.output;
      ASSERT_TRUE(fs::exists(partial));
      EXPECT_FALSE(read_trace(partial).complete);
      const auto inspect = test::run_poisonsim("inspect " + partial);
      EXPECT_EQ(inspect.exit_code, 0) << inspect.output;
    }
  }
  EXPECT_GE(cases, 21u);
}

TEST_F(PythonPlugins, TheTracebackIsLoggedUnderVerbose) {
  const std::string path = kPlugins + "/raises_mid_run.py";
  const auto result = test::run_poisonsim("-v run " + kScenario + " -o " + file("v.h5") +
                                          " --force" + stage_override("guard", path, "Guard"));
  EXPECT_EQ(result.exit_code, 2) << result.output;
  EXPECT_NE(result.output.find("Traceback (most recent call last)"), std::string::npos)
      << result.output;
  EXPECT_NE(result.output.find("line 13, in judge"), std::string::npos) << result.output;
  EXPECT_NE(result.output.find("error: " + path + ":13: ZeroDivisionError"), std::string::npos)
      << result.output;
}

TEST_F(PythonPlugins, AMissingFileOrClassOrAChangedFileFailsValidation) {
  const auto missing = test::run_poisonsim(
      "validate " + kScenario + stage_override("guard", "/nonexistent/guard.py", "Guard"));
  EXPECT_EQ(missing.exit_code, 2);
  EXPECT_TRUE(test::single_error_line(missing.output)) << missing.output;
  EXPECT_NE(missing.output.find("guard.file"), std::string::npos) << missing.output;
  EXPECT_NE(missing.output.find("/nonexistent/guard.py"), std::string::npos) << missing.output;

  const std::string example = kSource + "/scenarios/plugins/loss_threshold.py";
  const auto no_class =
      test::run_poisonsim("validate " + kScenario + stage_override("guard", example, "Nope"));
  EXPECT_EQ(no_class.exit_code, 2);
  EXPECT_TRUE(test::single_error_line(no_class.output)) << no_class.output;
  EXPECT_EQ(no_class.output.rfind("error: " + example +
                                      ": no class 'Nope' in the file (its "
                                      "classes: LossThreshold)",
                                  0),
            0u)
      << no_class.output;

  const auto changed = test::run_poisonsim(
      "validate " + kScenario +
      stage_override("guard", example, "LossThreshold", ", sha256: " + std::string(64, '0')));
  EXPECT_EQ(changed.exit_code, 2);
  EXPECT_TRUE(test::single_error_line(changed.output)) << changed.output;
  EXPECT_NE(changed.output.find("guard.sha256"), std::string::npos) << changed.output;
  EXPECT_NE(changed.output.find("the file changed"), std::string::npos) << changed.output;

  // A good file: the resolved scenario records its hash, and the user's keys as written.
  const auto good =
      test::run_poisonsim("validate --print " + kScenario +
                          stage_override("guard", example, "LossThreshold", ", threshold: 2.5"));
  EXPECT_EQ(good.exit_code, 0) << good.output;
  EXPECT_NE(good.output.find("sha256: "), std::string::npos) << good.output;
  EXPECT_NE(good.output.find("threshold: 2.5"), std::string::npos) << good.output;
  // The constructor's own check of the user's key runs at validation.
  const auto bad_key =
      test::run_poisonsim("validate " + kScenario +
                          stage_override("guard", example, "LossThreshold", ", threshold: -1"));
  EXPECT_EQ(bad_key.exit_code, 2);
  EXPECT_NE(bad_key.output.find("error: " + example + ":"), std::string::npos) << bad_key.output;
  EXPECT_NE(bad_key.output.find("ValueError: threshold must be a positive number"),
            std::string::npos)
      << bad_key.output;
}

// The interpreter starts only for a scenario with a python stage: with a PYTHONHOME under which
// Python cannot start, other runs go on as ever, and a python stage is one error line.
TEST_F(PythonPlugins, OnlyAPythonStageStartsTheInterpreter) {
  const std::string broken = "PYTHONHOME=/nonexistent";
  const auto cpp = test::run_poisonsim_with_env(broken, "--log-level warn run " + kScenario +
                                                            " -o " + file("no-python.h5") +
                                                            " --quiet --force --set duration=20");
  EXPECT_EQ(cpp.exit_code, 0) << cpp.output;
  const auto python = test::run_poisonsim_with_env(
      broken, "validate " + kScenario +
                  stage_override("guard", kSource + "/scenarios/plugins/loss_threshold.py",
                                 "LossThreshold"));
  EXPECT_EQ(python.exit_code, 2) << python.output;
  EXPECT_TRUE(test::single_error_line(python.output)) << python.output;
  EXPECT_NE(python.output.find("the embedded Python interpreter"), std::string::npos)
      << python.output;
}

TEST_F(PythonPlugins, AGuardGetsFeaturesAndLogitsThatFollowTheDeployedModel) {
  const auto result = test::run_poisonsim(
      "--log-level warn run " + kScenario + " -o " + file("features.h5") + " --quiet --force" +
      stage_override("guard", kPlugins + "/ok/feature_checks.py", "Guard"));
  EXPECT_EQ(result.exit_code, 0) << result.output;  // an assertion in the class would be exit 2
  EXPECT_GT(read_trace(file("features.h5")).retrains.size(), 2u);
}

TEST_F(PythonPlugins, TheProvenanceNamesTheFileAndItsHash) {
  const std::string path = kSource + "/scenarios/plugins/loss_threshold.py";
  const auto trace = file("provenance.h5");
  const auto result = test::run_poisonsim("--log-level warn run " + kScenario + " -o " + trace +
                                          " --quiet --force --set duration=20" +
                                          stage_override("guard", path, "LossThreshold"));
  ASSERT_EQ(result.exit_code, 0) << result.output;
  const auto contents = read_trace(trace);
  // The resolved scenario records the hash too.
  const std::string provenance = contents.metadata.provenance;
  EXPECT_NE(provenance.find("\"plugin_files\":[{\"file\":\"" + path + "\""), std::string::npos)
      << provenance;
  const auto sha256 = test::run_command("sha256sum " + path).output.substr(0, 64);
  EXPECT_NE(provenance.find("\"sha256\":\"" + sha256 + "\""), std::string::npos) << provenance;
  EXPECT_NE(contents.metadata.scenario_yaml.find("sha256: " + sha256), std::string::npos);
}

TEST_F(PythonPlugins, ASanitizersKeepMaskRemovesWhatItSays) {
  const std::string path = kPlugins + "/ok/drop_label.py";
  const auto trace = file("sanitized.h5");
  const auto result =
      test::run_poisonsim("--log-level warn run " + kScenario + " -o " + trace +
                          " --quiet --force --set trace.samples=true" +
                          stage_override("sanitizer", path, "DropLabel", ", label: 3"));
  ASSERT_EQ(result.exit_code, 0) << result.output;
  const auto contents = read_trace(trace);
  size_t removed = 0, accepted_threes = 0;
  for (const auto& row : contents.samples) {
    if (row.rejected_by == 2) {  // the sanitizer, after the one guard stage
      ++removed;
      EXPECT_EQ(row.label, 3);
    }
    accepted_threes += row.label == 3 && !row.rejected;
  }
  EXPECT_GT(removed, 0u);
  // Samples accepted after the last retrain never reach a sanitizer; the others all did.
  EXPECT_LE(removed, accepted_threes);
  EXPECT_GT(removed * 2, accepted_threes);
}

// A sanitizer with a bank_size is given the deployed model's features of the first bank_size
// trusted samples: the same read-only arrays until a deploy, new ones after (the class asserts
// it, and reports how often each case occurred).
TEST_F(PythonPlugins, ASanitizerGetsTheTrustedFeaturesOfTheDeployedModel) {
  const auto report = file("trusted.txt");
  const auto result = test::run_poisonsim(
      "--log-level warn run " + kScenario + " -o " + file("trusted.h5") + " --quiet --force" +
      stage_override("sanitizer", kPlugins + "/ok/trusted_checks.py", "TrustedChecks",
                     ", bank_size: 150, report: " + report));
  ASSERT_EQ(result.exit_code, 0) << result.output;  // an assertion in the class would be exit 2
  std::istringstream counts(test::read_text(report));
  int windows = 0, refreshes = 0, kept = 0;
  counts >> windows >> refreshes >> kept;
  EXPECT_GT(windows, 2);
  EXPECT_GT(refreshes, 0);  // a window after a deploy got new features
  EXPECT_EQ(refreshes + kept + 1, windows);
}

// The checkpoint tests: CountingGuard stops the run with SIGTERM at its 30th batch (a checkpoint
// at the stop), then a resume must reproduce the uninterrupted run's trace, which needs the
// guard's batch count (a batch whose count is a perfect square is rejected whole).
std::string counting_run(const std::string& cls, int stop_at, const std::string& trace,
                         const std::string& extra) {
  return "--log-level warn run " + kScenario + " -o " + trace + " --quiet --force " + extra +
         stage_override("guard", kPlugins + "/ok/counting_guard.py", cls,
                        ", stop_at: " + std::to_string(stop_at));
}

// counting_run(cls, stop_at, trace, extra) with a checkpoint every 40 batches at `checkpoint`,
// stopped by the guard at batch `stop_at`, then resumed: the resume's result.
test::CommandResult stop_then_resume(const std::string& cls, int stop_at, const std::string& trace,
                                     const std::string& checkpoint, const std::string& extra) {
  const auto stopped = test::run_poisonsim(counting_run(
      cls, stop_at, trace, extra + " --checkpoint-every 40 --checkpoint " + checkpoint));
  EXPECT_EQ(stopped.exit_code, 128 + SIGTERM) << stopped.output;
  EXPECT_TRUE(fs::exists(checkpoint));
  return test::run_poisonsim("--log-level warn resume " + checkpoint + " --quiet");
}

// The rows of one table, byte for byte: what a resume must give (the uninterrupted run's).
template <class Row>
void expect_same_rows(const std::vector<Row>& expected, const std::vector<Row>& actual) {
  ASSERT_EQ(expected.size(), actual.size());
  ASSERT_FALSE(actual.empty());
  EXPECT_EQ(std::memcmp(expected.data(), actual.data(), actual.size() * sizeof(Row)), 0);
}

TEST_F(PythonPlugins, AResumeRestoresThePluginsState) {
  const auto reference = file("uninterrupted.h5");
  ASSERT_EQ(test::run_poisonsim(counting_run("CountingGuard", 0, reference, "")).exit_code, 0);
  const auto trace = file("stopped.h5");
  const auto resumed = stop_then_resume("CountingGuard", 30, trace, file("stopped.checkpoint"), "");
  ASSERT_EQ(resumed.exit_code, 0) << resumed.output;
  const auto expected = read_trace(reference), actual = read_trace(trace);
  EXPECT_TRUE(actual.complete);
  expect_same_rows(expected.samples, actual.samples);
  expect_same_rows(expected.retrains, actual.retrains);
}

// The spectral twin's trusted features are not in checkpoints: a resumed run featurises the
// bank under the restored model and gives the uninterrupted run's trace (stopped at the 100th
// batch, after two retrains).
TEST_F(PythonPlugins, AResumedSanitizerRecomputesItsTrustedFeatures) {
  const std::string twin = "--set 'sanitize=[{type: python, file: " + kSource +
                           "/scenarios/plugins/spectral_signature.py, class: SpectralSignature, "
                           "quantile: 0.6}]' ";
  const auto reference = file("twin-uninterrupted.h5");
  ASSERT_EQ(test::run_poisonsim(counting_run("CountingGuard", 0, reference, twin)).exit_code, 0);
  const auto trace = file("twin-stopped.h5");
  const auto resumed =
      stop_then_resume("CountingGuard", 100, trace, file("twin-stopped.checkpoint"), twin);
  ASSERT_EQ(resumed.exit_code, 0) << resumed.output;
  const auto expected = read_trace(reference), actual = read_trace(trace);
  EXPECT_TRUE(actual.complete);
  size_t removed = 0;
  for (const auto& row : expected.samples) removed += row.rejected_by == 2;
  EXPECT_GT(removed, 0u);  // the sanitizer removed samples, before and after the stop
  expect_same_rows(expected.samples, actual.samples);
  expect_same_rows(expected.retrains, actual.retrains);
}

TEST_F(PythonPlugins, AResumeIsRefusedWhenThePluginHasNoState) {
  const auto resumed = stop_then_resume("StatelessGuard", 30, file("stateless.h5"),
                                        file("stateless.checkpoint"), "");
  EXPECT_EQ(resumed.exit_code, 2) << resumed.output;
  EXPECT_TRUE(test::single_error_line(resumed.output)) << resumed.output;
  EXPECT_NE(resumed.output.find("has no state() and load_state()"), std::string::npos)
      << resumed.output;
}

// A python attacker's seeds for its own random numbers follow the batches across a resume: the
// label-flip example with random-other labels (NumPy seeded with request.seed) reproduces the
// uninterrupted run, stopped and resumed by the counting guard.
TEST_F(PythonPlugins, AResumeContinuesAPythonAttackersSeeds) {
  const std::string attacker =
      stage_override("attacker", kSource + "/scenarios/plugins/label_flip.py", "LabelFlip",
                     " --set attackers.0.labels=random-other");
  const auto reference = file("attacker-uninterrupted.h5");
  ASSERT_EQ(test::run_poisonsim(counting_run("CountingGuard", 0, reference, attacker)).exit_code,
            0);
  const auto trace = file("attacker-stopped.h5");
  const auto resumed =
      stop_then_resume("CountingGuard", 30, trace, file("attacker.checkpoint"), attacker);
  ASSERT_EQ(resumed.exit_code, 0) << resumed.output;
  const auto expected = read_trace(reference), actual = read_trace(trace);
  expect_same_rows(expected.samples, actual.samples);
}

TEST_F(PythonPlugins, AnAttackerGetsTheKnownModelsWeightsWhenItAsks) {
  const auto trace = file("weights.h5");
  const auto result = test::run_poisonsim(
      "--log-level warn run " + kScenario + " -o " + trace + " --quiet --force" +
      stage_override("attacker", kPlugins + "/ok/weights_checks.py", "Attacker"));
  ASSERT_EQ(result.exit_code, 0) << result.output;  // a failed assertion would be exit 2
  const auto contents = read_trace(trace);
  EXPECT_GT(contents.retrains.size(), 2u);
  EXPECT_NE(contents.metadata.provenance.find("weights_checks.py"), std::string::npos);
}

}  // namespace
}  // namespace poisonsim
