// Reading a trace while its run writes it (HDF5 SWMR, docs/trace-format.md): `poisonsim
// inspect`, `poisonsim roc` and the report's h5py reader succeed on the run's .partial file,
// again and again, with more rows as the run goes on; the finished trace has exactly the rows of
// a run that nobody read and that flushed only at its ticks.
#include <algorithm>
#include <filesystem>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "pipeline/trace/trace_reader.h"
#include "tests/background_run.h"
#include "tests/test_support.h"
#include "tests/trace_row_fields.h"

namespace poisonsim {
namespace {

namespace fs = std::filesystem;

const std::string kSource = POISONSIM_SOURCE_DIR;
const std::string kScenario = kSource + "/tests/scenarios/synthetic-small.yaml";
// About 15 s of simulation on a busy 2-core machine: a flush at each of the 1600 retrains and
// evaluations (and, in the run that is read, every 0.2 s of wall time). Each CLI read takes
// 1-3 s, mostly loading LibTorch.
const std::string kLongRun = " --quiet --set duration=16000";

// Samples counted by `poisonsim inspect --json -` (it finds the .partial file itself); -1 when
// the read failed, with the output in `failure`.
int64_t inspected_samples(const std::string& trace, std::string& failure) {
  const auto result = test::run_poisonsim("inspect " + trace + " --json -");
  const auto json_start = result.output.find('{');  // after the note that names the .partial
  if (result.exit_code != 0 || json_start == std::string::npos) {
    failure = result.output;
    return -1;
  }
  const auto json = nlohmann::json::parse(result.output.substr(json_start));
  if (json["run"]["complete"].get<bool>()) {
    failure = "a trace in progress said complete";
    return -1;
  }
  return json["guard"]["poison"].get<int64_t>() + json["guard"]["clean"].get<int64_t>();
}

// Samples the report's reader (python/poisonsim/report/inputs.py, h5py) finds; -1 on failure.
int64_t report_reader_samples(const std::string& path, std::string& failure) {
  const auto result = test::run_command(
      "/usr/bin/python3 -c \"import sys; sys.path.insert(0, '" + kSource +
      "/python'); from poisonsim.report import inputs; f = inputs.open_hdf5(sys.argv[1]); "
      "t = inputs.read_trace(f, sys.argv[1]); print(len(t.samples), len(t.events))\" " + path);
  if (result.exit_code != 0) {
    failure = result.output;
    return -1;
  }
  return std::stoll(result.output);
}

TEST(LiveReading, InspectRocAndTheReportReadARunInProgressThatEndsAsIfUnread) {
  test::ScratchDir dir;
  setenv("POISONSIM_CACHE_DIR", dir.file("cache").c_str(), 1);
  const auto read = dir.file("read.h5"), unread = dir.file("unread.h5");
  // Pretrain once (cached), so the runs below spend their time simulating.
  ASSERT_EQ(test::run_poisonsim("--log-level warn run " + kScenario + " -o " + dir.file("w.h5") +
                                " --quiet --set duration=1")
                .exit_code,
            0);

  test::BackgroundRun run("--log-level warn run " + kScenario + " -o " + read + kLongRun +
                              " --set trace.flush_seconds=0.2",
                          dir.file("run.log"));
  ASSERT_GT(run.pid(), 0);
  std::vector<int64_t> inspected, reported;
  int roc_reads = 0;
  std::string failure;
  // A read that fails once the run renamed its trace into place met the end: not a failure.
  const auto ended = [&] {
    if (!fs::exists(read)) return false;
    failure.clear();
    return true;
  };
  // Readable once the run created its tables (the .partial file exists, empty, from the start).
  ASSERT_TRUE(test::eventually([&] {
    try {
      return TraceReader(read + ".partial").in_progress();
    } catch (const UserError&) {
      return false;
    }
  }));
  while (!ended() && failure.empty()) {
    const int64_t samples = inspected_samples(read, failure);
    if (ended()) break;
    if (samples < 0) break;
    inspected.push_back(samples);
    if (inspected.size() % 2 == 0) {
      const auto roc = test::run_poisonsim("roc " + read);
      if (ended()) break;
      if (roc.exit_code != 0 || roc.output.find("AUC") == std::string::npos) {
        failure = roc.output;
        break;
      }
      ++roc_reads;
    }
    const int64_t seen = report_reader_samples(read + ".partial", failure);
    if (ended()) break;
    if (seen >= 0) reported.push_back(seen);
  }
  EXPECT_EQ(failure, "");
  EXPECT_EQ(run.wait(), 0) << test::read_text(dir.file("run.log"));
  ASSERT_GE(inspected.size(), 3u) << "the run ended before three reads: make it longer";
  EXPECT_GE(roc_reads, 1);
  EXPECT_GE(reported.size(), 2u);
  EXPECT_TRUE(std::is_sorted(inspected.begin(), inspected.end()));
  EXPECT_GT(inspected.back(), inspected.front()) << "no progress seen while the run went on";
  EXPECT_GT(reported.back(), reported.front());

  // The same run, unread and flushed only at its ticks: the same rows in every table.
  const auto finished = test::run_poisonsim("--log-level warn run " + kScenario + " -o " + unread +
                                            kLongRun);
  ASSERT_EQ(finished.exit_code, 0) << finished.output;
  const auto a = read_trace(read), b = read_trace(unread);
  EXPECT_TRUE(a.complete && b.complete);
  test::expect_same_rows(a.events, b.events, "events");
  test::expect_same_rows(a.samples, b.samples, "samples");
  test::expect_same_rows(a.retrains, b.retrains, "retrains");
  test::expect_same_rows(a.evaluations, b.evaluations, "evaluations");
  // A finished trace needs no SWMR flags: plain h5py reads it, as before.
  const auto plain = test::run_command("/usr/bin/python3 " + kSource +
                                       "/tests/check_trace_layout.py " + read);
  EXPECT_EQ(plain.exit_code, 0) << plain.output;
  std::cout << "reads during the run: " << inspected.size() << " inspect, " << roc_reads
            << " roc, " << reported.size() << " report reader; samples " << inspected.front()
            << " -> " << inspected.back() << " of " << a.samples.size() << "\n";
}

}  // namespace
}  // namespace poisonsim
