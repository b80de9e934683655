// The `replay` attacker in whole runs: a poison set made by `poisonsim attack -o` on Fashion-MNIST
// comes back in the trace sample for sample (labels, true labels and the deployed model's loss
// on each image), NumPy and HDF5 files made with NumPy and h5py replay deterministically per
// seed, and every bad file is one `error:` line at validation.
#include <algorithm>
#include <csignal>
#include <cmath>
#include <filesystem>
#include <string>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include "attackers/replay/replay_file.h"
#include "pipeline/model/target_model.h"
#include "pipeline/model/training.h"
#include "pipeline/trace/checkpoint_file.h"
#include "pipeline/trace/poison_set_file.h"
#include "pipeline/trace/trace_reader.h"
#include "tests/background_run.h"
#include "tests/test_support.h"

namespace poisonsim {
namespace {

std::string source(const std::string& path) { return std::string(POISONSIM_SOURCE_DIR) + path; }

struct ReplayRun : ::testing::Test {
  static void SetUpTestSuite() {
    setenv("POISONSIM_CACHE_DIR", cache().path().c_str(), 1);
    const auto made = test::run_command(
        "/usr/bin/python3 " + source("/tests/replay/write_poison_files.py") + " " + files().path());
    ASSERT_EQ(made.exit_code, 0) << made.output;
  }
  static test::ScratchDir& cache() {
    static test::ScratchDir dir;
    return dir;
  }
  // The files tests/replay/write_poison_files.py writes, shared by the suite.
  static test::ScratchDir& files() {
    static test::ScratchDir dir;
    return dir;
  }
  static std::string file(const std::string& name) { return files().file(name); }

  // A replay attacker on tests/scenarios/synthetic-small.yaml: one batch of 8 a second from 5 s.
  static std::string replay(const std::string& keys) {
    return " --set 'attackers=[{name: replay, type: replay, arrival: {process: fixed, rate: 1}, "
           "batch_size: 8, start: 5, " +
           keys + "}]'";
  }
  test::CommandResult run_synthetic(const std::string& trace, const std::string& extra) {
    return test::run_poisonsim("--log-level warn run " +
                               source("/tests/scenarios/synthetic-small.yaml") + " --quiet -o " +
                               dir.file(trace) + extra);
  }
  test::ScratchDir dir;
};

std::vector<SampleRow> poison_rows(const std::string& trace) {
  std::vector<SampleRow> rows;
  for (const auto& s : read_trace(trace).samples)
    if (s.is_poison) rows.push_back(s);
  return rows;
}

std::vector<std::pair<int64_t, int64_t>> labels_of(const std::vector<SampleRow>& rows) {
  std::vector<std::pair<int64_t, int64_t>> out;
  for (const auto& r : rows) out.emplace_back(r.label, r.true_label);
  return out;
}

TEST_F(ReplayRun, PoisonSetFromAttackComesBackSampleForSampleInFileOrder) {
  if (test::fashion_mnist_dir().empty()) GTEST_SKIP() << "Fashion-MNIST not installed";
  // A small deployed model of its own, so the test can score the poison with it.
  const std::string model = dir.file("model.pt");
  const auto trained = test::run_poisonsim(
      "-q train --data fashion-mnist --hidden 32 --epochs 1 "
      "-o " +
      model);
  ASSERT_EQ(trained.exit_code, 0) << trained.output;
  const std::string scenario = source("/scenarios/quickstart.yaml") +
                               " --set model.hidden=[32] --set model.file=" + model +
                               " --set duration=30 --set 'guard={type: none}' --set "
                               "'gate={type: none}' --set retrain.interval=30";
  const std::string poison = dir.file("poison.h5");
  const auto attacked = test::run_poisonsim(
      "-q attack --scenario " + scenario + " --method noise --n 50 --retrain-seeds 1 -o " + poison);
  ASSERT_EQ(attacked.exit_code, 0) << attacked.output;

  const std::string trace = dir.file("replay.h5");
  const auto ran =
      test::run_poisonsim("--log-level warn run " + scenario + " --quiet -o " + trace +
                          " --set 'attackers=[{name: replay, type: replay, file: " + poison +
                          ", arrival: {process: fixed, rate: 1}, batch_size: 7}]'");
  ASSERT_EQ(ran.exit_code, 0) << ran.output;

  const PoisonSetFile set = read_poison_set(poison);
  const auto rows = poison_rows(trace);
  // at_end stop: every sample once, in file order (7 batches of 7, then 1), then no arrivals.
  ASSERT_EQ(rows.size(), set.poison.size());
  const SampleScores scores = score_samples(TargetModel::load(model), set.poison);
  for (size_t i = 0; i < rows.size(); ++i) {
    SCOPED_TRACE(i);
    EXPECT_EQ(std::string(rows[i].source), "replay");
    EXPECT_EQ(rows[i].label, set.poison.labels[i]);
    EXPECT_EQ(rows[i].true_label, set.seeds.labels[i]);
    EXPECT_DOUBLE_EQ(rows[i].time, static_cast<double>(i / 7 + 1));
    // The image: the deployed (pretrained, version 0) model's loss on it, from the serving
    // engine in the run and from LibTorch here.
    ASSERT_EQ(rows[i].model_version, 0);
    EXPECT_NEAR(rows[i].loss, scores.loss[i], 1e-3 * (1 + std::abs(scores.loss[i])));
  }
}

TEST_F(ReplayRun, NumpyAndHdf5FilesReplayTheirLabelsInFileOrder) {
  const std::vector<std::pair<int64_t, int64_t>> expected = [] {
    std::vector<std::pair<int64_t, int64_t>> out;
    for (int64_t i = 0; i < 20; ++i) out.emplace_back(i * 3 % 10, i % 10);
    return out;
  }();
  const auto without_true = [&] {
    auto out = expected;
    for (auto& [label, truth] : out) truth = label;  // no true labels: the labels themselves
    return out;
  }();
  for (const auto& [keys, want] : std::vector<std::pair<std::string, decltype(expected)>>{
           {"file: " + file("good.npz") + ", true_labels: true_labels", expected},
           {"file: " + file("good-float.npz"), without_true},
           {"file: " + file("pair-images.npy") + ", labels_file: " + file("pair-labels.npy"),
            without_true},
           {"file: " + file("good.h5") + ", images: x, labels: y", without_true}}) {
    SCOPED_TRACE(keys);
    const auto result = run_synthetic("t.h5", replay(keys) + " --force");
    ASSERT_EQ(result.exit_code, 0) << result.output;
    EXPECT_EQ(labels_of(poison_rows(dir.file("t.h5"))), want);
  }
}

TEST_F(ReplayRun, ShuffledOrderIsTheSeedsAndCyclingReshufflesEachPass) {
  const std::string keys =
      "file: " + file("good.npz") + ", true_labels: true_labels, order: shuffled, at_end: cycle";
  ASSERT_EQ(run_synthetic("a.h5", replay(keys)).exit_code, 0);
  ASSERT_EQ(run_synthetic("b.h5", replay(keys)).exit_code, 0);
  ASSERT_EQ(run_synthetic("c.h5", replay(keys) + " --seed 4").exit_code, 0);
  const auto a = labels_of(poison_rows(dir.file("a.h5")));
  EXPECT_EQ(a, labels_of(poison_rows(dir.file("b.h5"))));
  EXPECT_NE(a, labels_of(poison_rows(dir.file("c.h5"))));
  // Arrivals of 8 from 6 s on: whole passes over the 20 samples, each holding every sample
  // once, and not all in one order.
  const size_t passes = a.size() / 20;
  ASSERT_GE(passes, 30u);
  std::vector<std::pair<int64_t, int64_t>> file_pairs;
  for (int64_t i = 0; i < 20; ++i) file_pairs.emplace_back(i * 3 % 10, i % 10);
  std::sort(file_pairs.begin(), file_pairs.end());
  bool passes_differ = false;
  for (size_t pass = 0; pass < passes; ++pass) {
    std::vector<std::pair<int64_t, int64_t>> got(a.begin() + static_cast<long>(pass * 20),
                                                 a.begin() + static_cast<long>(pass * 20 + 20));
    passes_differ = passes_differ || !std::equal(got.begin(), got.end(), a.begin());
    std::sort(got.begin(), got.end());
    EXPECT_EQ(got, file_pairs) << "pass " << pass;
  }
  EXPECT_TRUE(passes_differ);
}

TEST_F(ReplayRun, ResumeContinuesThePassAndRefusesAChangedFile) {
  // A copy of the file, so the test can change it under the checkpoint.
  const std::string poison = dir.file("poison.npz");
  std::filesystem::copy_file(file("good.npz"), poison);
  const std::string keys =
      "file: " + poison + ", true_labels: true_labels, order: shuffled, at_end: cycle";
  // Evaluations every 0.05 s (each flushes the trace) make the run last seconds, so a kill
  // after its first checkpoint lands mid-run (a finished run's checkpoint only records its end).
  const std::string slow = " --set evaluation.interval=0.05";
  ASSERT_EQ(run_synthetic("whole.h5", replay(keys) + slow).exit_code, 0);
  const std::string checkpoint = dir.file("cut.h5.checkpoint");
  test::BackgroundRun cut("--log-level warn run " +
                              source("/tests/scenarios/synthetic-small.yaml") + " --quiet -o " +
                              dir.file("cut.h5") + replay(keys) + slow + " --checkpoint-every 45",
                          dir.file("cut.log"));
  ASSERT_TRUE(test::eventually([&] {
    return std::filesystem::exists(checkpoint) && read_checkpoint_file(checkpoint).time >= 45;
  })) << test::read_text(dir.file("cut.log"));
  cut.signal(SIGKILL);
  ASSERT_EQ(cut.wait(), 128 + SIGKILL) << "the run ended before the kill";
  // A finished resume replaces its checkpoint with the record of its end: keep a copy.
  const std::string copy = dir.file("cut-copy.checkpoint");
  std::filesystem::copy_file(checkpoint, copy);
  // From the checkpoint (45 s), in the middle of a pass, to the end: the same samples.
  const auto resumed = test::run_poisonsim("--log-level warn resume " + checkpoint +
                                           " --quiet -o " + dir.file("resumed.h5"));
  ASSERT_EQ(resumed.exit_code, 0) << resumed.output;
  EXPECT_EQ(labels_of(poison_rows(dir.file("resumed.h5"))),
            labels_of(poison_rows(dir.file("whole.h5"))));

  std::filesystem::copy_file(file("good-reversed.npz"), poison,
                             std::filesystem::copy_options::overwrite_existing);
  const auto refused = test::run_poisonsim("--log-level warn resume " + copy +
                                           " --quiet -o " + dir.file("refused.h5"));
  EXPECT_EQ(refused.exit_code, 2) << refused.output;
  EXPECT_NE(refused.output.find("is not the one the run read"), std::string::npos)
      << refused.output;
}

TEST_F(ReplayRun, ParsesShareOneReadUntilTheFileChanges) {
  const std::string poison = dir.file("shared.npz");
  std::filesystem::copy_file(file("good.npz"), poison);
  ReplayFileOptions options;
  options.file = poison;
  const PoisonShape data{{1, 12, 12}, 10};
  const auto first = shared_replay_file(options, data);
  EXPECT_EQ(shared_replay_file(options, data), first);  // read once
  EXPECT_EQ(first->digest, load_replay_file(options, data).digest);
  options.labels = "true_labels";  // other options: read again
  EXPECT_NE(shared_replay_file(options, data), first);
  options.labels = "labels";
  // Another file under the same name (a new inode, as an editor or np.savez leaves it).
  std::filesystem::remove(poison);
  std::filesystem::copy_file(file("good-reversed.npz"), poison);
  const auto changed = shared_replay_file(options, data);
  EXPECT_NE(changed->digest, first->digest);
  EXPECT_EQ(changed->digest, load_replay_file(options, data).digest);
}

TEST_F(ReplayRun, EachBadFileIsOneErrorLineAtValidation) {
  const std::vector<std::pair<std::string, std::string>> cases{
      {"file: " + file("missing.npz"), "missing.npz: no such file"},
      {"file: " + file("wrong-shape.npz"),
       "wrong-shape.npz: images: shape (20, 28, 28) does not fit"},
      {"file: " + file("out-of-range.npz"),
       "out-of-range.npz: images: pixel value 1.5 of sample 3"},
      {"file: " + file("nan-pixel.npz"), "nan-pixel.npz: images: pixel value nan of sample 7"},
      {"file: " + file("int-images.npz"), "int-images.npz: images: element type int32"},
      {"file: " + file("label-outside.npz"), "label-outside.npz: labels: label 10 of sample 5"},
      {"file: " + file("negative-label.npz"), "negative-label.npz: labels: label -1 of sample 0"},
      {"file: " + file("float-labels.npz"), "float-labels.npz: labels: element type float32"},
      {"file: " + file("short-labels.npz"), "short-labels.npz: labels: shape (19,)"},
      {"file: " + file("empty.npz"), "empty.npz: images: holds no samples"},
      {"file: " + file("no-labels.npz"), "no-labels.npz: labels: no array of this name"},
      {"file: " + file("good.npz") + ", true_labels: seed_labels",
       "good.npz: seed_labels: no array of this name"},
      {"file: " + file("h5-no-dataset.h5"), "h5-no-dataset.h5: labels: no dataset of this name"},
      {"file: " + file("corrupt.npz"), "corrupt.npz: images: corrupt archive member"},
      {"file: " + file("not-a-zip.npz"), "not-a-zip.npz: not a readable .npz (zip) file"},
      {"file: " + file("truncated.npy") + ", labels_file: " + file("pair-labels.npy"),
       "truncated.npy: holds 2870 bytes of data"},
      {"file: " + file("pair-images.npy"), "pair-images.npy: a .npy file holds one array"},
      {"file: " + file("good.npz") + ", labels_file: " + file("pair-labels.npy"),
       "labels_file is for a .npy pair"},
      {"file: " + file("good.h5"), "good.h5: images: no dataset of this name"},
      {"file: " + file("good.npz") + ", format: hdf5", "good.npz: not an HDF5 file"},
  };
  for (const auto& [keys, fragment] : cases) {
    SCOPED_TRACE(keys);
    const auto result = test::run_poisonsim(
        "validate " + source("/tests/scenarios/synthetic-small.yaml") + replay(keys));
    EXPECT_EQ(result.exit_code, 2) << result.output;
    std::string output = result.output;
    while (!output.empty() && output.back() == '\n') output.pop_back();
    EXPECT_EQ(output.find('\n'), std::string::npos) << "more than one line:\n" << output;
    EXPECT_EQ(output.rfind("error: ", 0), 0u) << output;
    EXPECT_NE(output.find("attackers.0.file: "), std::string::npos) << output;
    EXPECT_NE(output.find(fragment), std::string::npos) << output;
  }
}

}  // namespace
}  // namespace poisonsim
