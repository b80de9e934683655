// What is already at an output's path or at its temporary name (`OUT.partial`) is never
// followed, truncated or replaced by accident, for every kind of output (issue 28; the rules are
// in docs/security.md): a catalogue of bad output paths, each refused at start with one `error:`
// line and exit code 2, then the cases that succeed without harm, and write failures.
#include <signal.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "tests/background_run.h"
#include "tests/test_support.h"

namespace poisonsim {
namespace {

namespace fs = std::filesystem;

const std::string kSource = POISONSIM_SOURCE_DIR;
const std::string kScenario = kSource + "/tests/scenarios/synthetic-small.yaml";
// A run that would never end: an error it gets must come before the work.
const std::string kEndless = " --quiet --set duration=100000000";
const std::string kTrain = "train --data synthetic --validation 200 --epochs 1 --hidden 16";
const std::string kAttack = "attack --scenario " + kScenario + " --method noise --retrain-seeds 1";

using test::file_bytes;
using test::single_error_line;

class OutputPaths : public ::testing::Test {
 protected:
  void SetUp() override { setenv("POISONSIM_CACHE_DIR", dir.file("cache").c_str(), 1); }
  test::CommandResult poisonsim(const std::string& arguments, const std::string& limit = "") {
    return test::run_command(limit + "timeout 300 " + test::poisonsim_binary() +
                             " --log-level warn --quiet " + arguments);
  }
  bool is_kind(const std::string& path, mode_t kind) {
    struct stat st {};
    return ::lstat(path.c_str(), &st) == 0 && (st.st_mode & S_IFMT) == kind;
  }
  test::ScratchDir dir;
};

// A checkpoint path whose directory this process cannot write, whoever it runs as.
std::string unwritable_checkpoint() {
  return ::geteuid() == 0 ? "/sys/poisonsim-test.ckpt" : "{dir}/ro/c.ckpt";
}

// The catalogue: each case plants something, runs a verb, and expects a refusal naming `where`
// with `fragment`, while `victim` (a file the plant points to) keeps its bytes.
struct BadOutput {
  std::string name;
  std::function<void(const test::ScratchDir&)> plant;
  std::string arguments;  // with {dir} for the scratch directory
  std::string where;
  std::string fragment;
};

std::string expand(std::string text, const std::string& dir) {
  for (size_t at; (at = text.find("{dir}")) != std::string::npos;) text.replace(at, 5, dir);
  return text;
}

TEST_F(OutputPaths, BadOutputPathsAreRefusedAtStartLeavingEverythingAsItWas) {
  const auto victim_at = [](const std::string& link) {
    return
        [link](const test::ScratchDir& d) { fs::create_symlink(d.file("victim"), d.file(link)); };
  };
  const auto file_at = [](const std::string& name) {
    return [name](const test::ScratchDir& d) { test::write_text(d.file(name), "existing"); };
  };
  const auto nothing = [](const test::ScratchDir&) {};
  // Root writes in a directory of mode 0555, so it gets sysfs, which nobody can write in.
  const auto read_only_dir = [](const test::ScratchDir& d) {
    fs::create_directory(d.file("ro"));
    fs::permissions(d.file("ro"), fs::perms(0555));
  };
  const std::vector<BadOutput> catalogue = {
      {"symlink planted at the trace's .partial", victim_at("t.h5.partial"),
       "run " + kScenario + " -o {dir}/t.h5" + kEndless, "{dir}/t.h5.partial", "symbolic link"},
      {"... even with --force", victim_at("t.h5.partial"),
       "run " + kScenario + " -o {dir}/t.h5 --force" + kEndless, "{dir}/t.h5.partial",
       "symbolic link"},
      {"symlink planted at a --json .partial", victim_at("s.json.partial"),
       "run " + kScenario + " -o {dir}/t.h5 --json {dir}/s.json" + kEndless, "{dir}/s.json.partial",
       "symbolic link"},
      {"symlink as the trace, --force", victim_at("t.h5"),
       "run " + kScenario + " -o {dir}/t.h5 --force" + kEndless, "{dir}/t.h5", "symbolic link"},
      {"dangling symlink as the trace",
       [](const test::ScratchDir& d) { fs::create_symlink(d.file("gone/t.h5"), d.file("t.h5")); },
       "run " + kScenario + " -o {dir}/t.h5" + kEndless, "{dir}/t.h5", "symbolic link"},
      {"symlink as the checkpoint", victim_at("c.ckpt"),
       "run " + kScenario + " -o {dir}/t.h5 --checkpoint {dir}/c.ckpt --checkpoint-every 1e6" +
           kEndless,
       "{dir}/c.ckpt", "not a regular file"},
      {"checkpoint equal to -o", nothing,
       "run " + kScenario + " -o {dir}/t.h5 --checkpoint {dir}/t.h5" + kEndless, "{dir}/t.h5",
       "is the same file as the trace (-o)"},
      {"... by a relative path", nothing,
       "run " + kScenario + " -o {dir}/t.h5 --checkpoint {dir}/sub/../t.h5" + kEndless,
       "{dir}/sub/../t.h5", "is the same file as the trace (-o)"},
      {"... through a linked directory",
       [](const test::ScratchDir& d) {
         fs::create_directory(d.file("real"));
         fs::create_directory_symlink(d.file("real"), d.file("link"));
       },
       "run " + kScenario + " -o {dir}/real/t.h5 --checkpoint {dir}/link/t.h5" + kEndless,
       "{dir}/link/t.h5", "is the same file as the trace (-o)"},
      {"checkpoint equal to --json", nothing,
       "run " + kScenario + " -o {dir}/t.h5 --json {dir}/c.ckpt --checkpoint {dir}/c.ckpt" +
           kEndless,
       "{dir}/c.ckpt", "is the same file as --json"},
      {"checkpoint in a directory that cannot be written", read_only_dir,
       "run " + kScenario + " -o {dir}/t.h5 --checkpoint " + unwritable_checkpoint() + kEndless,
       unwritable_checkpoint(), "cannot reserve the checkpoint"},
      {"--checkpoint-every nan", nothing,
       "run " + kScenario + " -o {dir}/t.h5 --checkpoint-every nan" + kEndless,
       "--checkpoint-every", "expected simulated seconds from"},
      {"--checkpoint-every inf", nothing,
       "run " + kScenario + " -o {dir}/t.h5 --checkpoint-every inf" + kEndless,
       "--checkpoint-every", "expected simulated seconds from"},
      {"--checkpoint-every negative", nothing,
       "run " + kScenario + " -o {dir}/t.h5 --checkpoint-every -5" + kEndless,
       "--checkpoint-every", "expected simulated seconds from"},
      {"--checkpoint-every 0", nothing,
       "run " + kScenario + " -o {dir}/t.h5 --checkpoint-every 0" + kEndless,
       "--checkpoint-every", "expected simulated seconds from"},
      {"--checkpoint-every too small to mean anything", nothing,
       "run " + kScenario + " -o {dir}/t.h5 --checkpoint-every 1e-300" + kEndless,
       "--checkpoint-every", "at most that many checkpoints"},
      {"--checkpoint-every under duration / 10000", nothing,
       "run " + kScenario + " -o {dir}/t.h5 --checkpoint-every 9999" + kEndless,
       "--checkpoint-every", "expected simulated seconds from 10000"},
      {"existing --json file without --force", file_at("s.json"),
       "run " + kScenario + " -o {dir}/t.h5 --json {dir}/s.json" + kEndless, "{dir}/s.json",
       "--force"},
      {"existing train -o without --force", file_at("m.pt"), kTrain + " -o {dir}/m.pt",
       "{dir}/m.pt", "--force"},
      {"existing attack -o without --force", file_at("p.h5"), kAttack + " --n 20 -o {dir}/p.h5",
       "{dir}/p.h5", "--force"},
      {"symlink as attack --json", victim_at("a.json"),
       kAttack + " --n 20 -o {dir}/p.h5 --json {dir}/a.json", "{dir}/a.json", "symbolic link"},
      {"FIFO as train -o",
       [](const test::ScratchDir& d) { ASSERT_EQ(::mkfifo(d.file("m.pt").c_str(), 0600), 0); },
       kTrain + " -o {dir}/m.pt --force", "{dir}/m.pt", "is a FIFO"},
  };
  for (const auto& c : catalogue) {
    SCOPED_TRACE(c.name);
    test::ScratchDir d;
    test::write_text(d.file("victim"), "precious");
    c.plant(d);
    const auto result = poisonsim(expand(c.arguments, d.path()));
    EXPECT_EQ(result.exit_code, 2) << result.output;
    EXPECT_TRUE(single_error_line(result.output)) << result.output;
    EXPECT_NE(result.output.find(expand(c.where, d.path())), std::string::npos) << result.output;
    EXPECT_NE(result.output.find(c.fragment), std::string::npos) << result.output;
    EXPECT_EQ(file_bytes(d.file("victim")), "precious");
    EXPECT_FALSE(fs::exists(d.file("gone")));
    // Refused at start: no trace was begun, so none was kept (a link planted there stays one).
    EXPECT_FALSE(fs::is_regular_file(fs::symlink_status(d.file("t.h5.partial"))));
    for (const char* name : {"s.json", "m.pt", "p.h5"})  // existing files planted as outputs
      if (is_kind(d.file(name), S_IFREG)) {
        EXPECT_EQ(file_bytes(d.file(name)), "existing") << name;
      }
  }
}

// A killed run's .partial, open in an h5py reader, is kept as it was: the new run says so and
// writes another temporary.
TEST_F(OutputPaths, AKilledRunsPartialIsKeptWhileAReaderHoldsIt) {
  const auto trace = dir.file("t.h5"), partial = trace + ".partial";
  {
    test::BackgroundRun killed("--log-level warn run " + kScenario + " -o " + trace + kEndless +
                                   " --set trace.flush_seconds=0.05",
                               dir.file("killed.log"));
    ASSERT_TRUE(test::eventually([&] {
      std::error_code ec;
      return fs::file_size(partial, ec) > 0 && !ec;
    }));
    std::this_thread::sleep_for(std::chrono::seconds(2));
    killed.signal(SIGKILL);
    EXPECT_EQ(killed.wait(), 128 + SIGKILL);
  }
  const auto before = file_bytes(partial);
  const auto ready = dir.file("reader.ready"), pid = dir.file("reader.pid");
  ASSERT_EQ(test::run_command("(/usr/bin/python3 -c \"import h5py, sys, time; "
                              "f = h5py.File(sys.argv[1], 'r', swmr=True, libver='latest'); "
                              "open(sys.argv[2], 'w').close(); time.sleep(600)\" " +
                              partial + " " + ready + " >/dev/null 2>&1 & echo $! > " + pid + ")")
                .exit_code,
            0);
  struct KillReader {  // the reader started above, by its pid, however the test ends
    std::string pid_file;
    ~KillReader() {
      const int id = std::atoi(file_bytes(pid_file).c_str());
      if (id > 1) ::kill(id, SIGKILL);  // never 0 or -1: that would signal a whole group
    }
  } kill_reader{pid};
  ASSERT_TRUE(test::eventually([&] { return fs::exists(ready); }));
  const auto rerun = poisonsim("run " + kScenario + " -o " + trace + " --quiet --set duration=40");
  EXPECT_EQ(rerun.exit_code, 0) << rerun.output;
  EXPECT_NE(rerun.output.find("note: " + partial + " is left from a run that did not finish"),
            std::string::npos)
      << rerun.output;
  EXPECT_TRUE(fs::exists(trace));
  EXPECT_EQ(file_bytes(partial), before) << "the killed run's partial trace was changed";
  const auto h5py = test::run_command("/usr/bin/python3 " + kSource +
                                      "/tests/check_trace_layout.py --swmr " + partial);
  EXPECT_EQ(h5py.exit_code, 0) << h5py.output;
}

// --json onto a FIFO or a character device writes it straight, without replacing it.
TEST_F(OutputPaths, JsonToAFifoOrDeviceIsWrittenStraight) {
  const auto fifo = dir.file("fifo"), got = dir.file("got.json");
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  const auto result = test::run_command(
      "timeout 300 cat " + fifo + " > " + got + " & " + test::poisonsim_binary() +
      " --log-level warn run " + kScenario + " -o " + dir.file("t.h5") +
      " --quiet --set duration=40 --json " + fifo + "; status=$?; wait; exit $status");
  EXPECT_EQ(result.exit_code, 0) << result.output;
  EXPECT_NE(file_bytes(got).find("\"accuracy\""), std::string::npos) << file_bytes(got);
  EXPECT_TRUE(is_kind(fifo, S_IFIFO));

  // A device made here, never the system's /dev/null (which a regression would replace).
  const auto null = dir.file("null");
  if (::mknod(null.c_str(), S_IFCHR | 0666, makedev(1, 3)) != 0)
    GTEST_SKIP() << "cannot create a device node here (mknod needs CAP_MKNOD)";
  const auto to_null = poisonsim("inspect " + dir.file("t.h5") + " --json " + null);
  EXPECT_EQ(to_null.exit_code, 0) << to_null.output;
  EXPECT_TRUE(is_kind(null, S_IFCHR)) << "the device was replaced";
  const auto trace = poisonsim("run " + kScenario + " -o " + null + " --force" + kEndless);
  EXPECT_EQ(trace.exit_code, 2) << trace.output;
  EXPECT_NE(trace.output.find("is a character device"), std::string::npos) << trace.output;
  EXPECT_TRUE(is_kind(null, S_IFCHR)) << "the device was replaced";
}

// A file-size limit (as a full disk would) while a model or a poison set is written: one
// `error:` line and exit code 2, no file moved into place, no temporary left.
TEST_F(OutputPaths, WriteFailuresOfModelsAndPoisonSetsEndInOneErrorLine) {
  // Pretrained beforehand (cached): a cache write failing under the limit would add a warning.
  ASSERT_EQ(poisonsim(kAttack + " --n 20 -o " + dir.file("warm.h5")).exit_code, 0);
  for (const auto& [output, arguments] : std::vector<std::pair<std::string, std::string>>{
           {dir.file("m.pt"), kTrain + " -o " + dir.file("m.pt")},
           {dir.file("p.h5"), kAttack + " --n 300 -o " + dir.file("p.h5")}}) {
    SCOPED_TRACE(arguments);
    const auto result = poisonsim(arguments, "ulimit -f 20; ");
    EXPECT_EQ(result.exit_code, 2) << result.output;
    EXPECT_TRUE(single_error_line(result.output)) << result.output;
    EXPECT_NE(result.output.find(output), std::string::npos) << result.output;
    EXPECT_NE(result.output.find("File too large"), std::string::npos) << result.output;
    EXPECT_FALSE(fs::exists(output));
    for (const auto& entry : fs::directory_iterator(dir.path()))
      EXPECT_EQ(entry.path().string().find(output + ".partial"), std::string::npos) << entry.path();
  }
}

}  // namespace
}  // namespace poisonsim
