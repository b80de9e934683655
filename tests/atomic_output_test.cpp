// AtomicOutput (sim/util/atomic_output.h), the one path every output takes: what is already at the
// temporary or the final name is never followed, truncated or replaced unless it is a regular
// file the caller may replace. (tests/output_paths_test.cpp: the same through the CLI.)
#include <fcntl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <thread>

#include <gtest/gtest.h>

#include "sim/util/atomic_output.h"
#include "tests/test_support.h"

namespace poisonsim {
namespace {

namespace fs = std::filesystem;
using Existing = AtomicOutput::Existing;
using Temporary = AtomicOutput::Temporary;
using Streams = AtomicOutput::Streams;

class AtomicOutputTest : public ::testing::Test {
 protected:
  test::ScratchDir dir;
  std::string out = dir.file("out.json");
};

TEST_F(AtomicOutputTest, WritesUnderPartialAndRenames) {
  AtomicOutput output(out, Existing::refuse);
  EXPECT_EQ(output.temporary_path(), out + ".partial");
  EXPECT_TRUE(fs::is_regular_file(out + ".partial"));
  output.commit_text("{}\n");
  EXPECT_EQ(test::read_text(out), "{}\n");
  EXPECT_FALSE(fs::exists(out + ".partial"));
}

TEST_F(AtomicOutputTest, ASymlinkPlantedAtThePartialIsNeitherFollowedNorRemoved) {
  const auto victim = dir.file("victim");
  test::write_text(victim, "precious");
  fs::create_symlink(victim, out + ".partial");
  test::expect_user_error([&] { AtomicOutput(out, Existing::replace); }, out + ".partial",
                          "symbolic link");
  EXPECT_EQ(test::read_text(victim), "precious");
  EXPECT_TRUE(fs::is_symlink(out + ".partial"));
  // A dangling one is not created through either.
  fs::remove(victim);
  test::expect_user_error([&] { AtomicOutput(out, Existing::replace); }, out + ".partial",
                          "symbolic link");
  EXPECT_FALSE(fs::exists(victim));
}

TEST_F(AtomicOutputTest, AStalePartialIsKeptAndAnotherNameUsed) {
  test::write_text(out + ".partial", "a killed run's result");
  {
    AtomicOutput output(out, Existing::refuse);
    EXPECT_NE(output.temporary_path(), out + ".partial");
    EXPECT_EQ(output.temporary_path().rfind(out + ".partial.", 0), 0u);
    // Readers of the run in progress find the live temporary, not the stale one.
    EXPECT_EQ(written_or_in_progress(out), output.temporary_path());
    output.commit_text("new");
  }
  EXPECT_EQ(test::read_text(out), "new");
  EXPECT_EQ(test::read_text(out + ".partial"), "a killed run's result");
  EXPECT_EQ(written_or_in_progress(dir.file("other")), dir.file("other"));
}

TEST_F(AtomicOutputTest, ASecondWriterFailsWhileTheFirstHoldsThePartial) {
  AtomicOutput first(out, Existing::replace);
  test::expect_user_error([&] { AtomicOutput(out, Existing::replace); }, out,
                          "another process is writing it");
  EXPECT_EQ(written_or_in_progress(out), out + ".partial");
}

TEST_F(AtomicOutputTest, SymbolicLinksAtTheOutputAreRefusedEvenWithReplace) {
  const auto target = dir.file("target");
  test::write_text(target, "kept");
  fs::create_symlink(target, out);
  test::expect_user_error([&] { AtomicOutput(out, Existing::replace); }, out, "symbolic link");
  EXPECT_EQ(test::read_text(target), "kept");
  fs::remove(out);
  fs::create_symlink(dir.file("nowhere/x"), out);  // dangling: found now, not at commit
  test::expect_user_error([&] { AtomicOutput(out, Existing::replace); }, out, "symbolic link");
  EXPECT_FALSE(fs::exists(dir.file("nowhere")));
}

TEST_F(AtomicOutputTest, AnExistingFileIsReplacedOnlyWhenAllowed) {
  test::write_text(out, "old");
  test::expect_user_error([&] { AtomicOutput(out, Existing::refuse); }, out, "--force");
  EXPECT_EQ(test::read_text(out), "old");
  AtomicOutput(out, Existing::replace).commit_text("new");
  EXPECT_EQ(test::read_text(out), "new");
}

TEST_F(AtomicOutputTest, AFifoIsWrittenStraightOrRefused) {
  ASSERT_EQ(::mkfifo(out.c_str(), 0600), 0);
  test::expect_user_error([&] { AtomicOutput(out, Existing::replace); }, out, "a FIFO");
  std::string read;
  std::thread reader([&] { read = test::read_text(out); });
  {
    AtomicOutput output(out, Existing::refuse, Temporary::reserved, Streams::write_straight);
    EXPECT_TRUE(output.writes_straight());
    output.commit_text("{\"a\": 1}\n");
  }
  reader.join();
  EXPECT_EQ(read, "{\"a\": 1}\n");
  struct stat st {};
  ASSERT_EQ(::lstat(out.c_str(), &st), 0);
  EXPECT_TRUE(S_ISFIFO(st.st_mode)) << "the FIFO was replaced";
  EXPECT_FALSE(fs::exists(out + ".partial"));
}

// A character device made here (never the system's /dev/null, which a regression could replace).
TEST_F(AtomicOutputTest, ACharacterDeviceIsWrittenStraightNeverReplaced) {
  const auto null = dir.file("null");
  if (::mknod(null.c_str(), S_IFCHR | 0666, makedev(1, 3)) != 0)
    GTEST_SKIP() << "cannot create a device node here (mknod needs CAP_MKNOD)";
  AtomicOutput(null, Existing::refuse, Temporary::reserved, Streams::write_straight)
      .commit_text("discarded\n");
  test::expect_user_error([&] { AtomicOutput(null, Existing::replace); }, null,
                          "a character device");
  struct stat st {};
  ASSERT_EQ(::lstat(null.c_str(), &st), 0);
  EXPECT_TRUE(S_ISCHR(st.st_mode)) << "the device was replaced";
}

TEST_F(AtomicOutputTest, UniqueTemporariesLetConcurrentWritersEachFinish) {
  AtomicOutput first(out, Existing::replace, Temporary::unique);
  AtomicOutput second(out, Existing::replace, Temporary::unique);
  EXPECT_NE(first.temporary_path(), second.temporary_path());
  first.commit_text("1");
  second.commit_text("2");
  EXPECT_EQ(test::read_text(out), "2");
  EXPECT_FALSE(fs::exists(first.temporary_path()));
}

TEST_F(AtomicOutputTest, TheTemporaryIsRemovedUnlessKeptOrCommitted) {
  std::string temporary;
  {
    AtomicOutput output(out, Existing::refuse);
    temporary = output.temporary_path();
  }
  EXPECT_FALSE(fs::exists(temporary));
  {
    AtomicOutput output(out, Existing::refuse);
    output.keep_temporary();
  }
  EXPECT_TRUE(fs::exists(temporary));
}

TEST_F(AtomicOutputTest, AFileSizeLimitIsAWriteErrorNotADeath) {
  // In a child: the limit and the ignored SIGXFSZ stay out of this test process.
  const pid_t child = ::fork();
  if (child == 0) {
    struct rlimit limit {
      1024, 1024
    };
    ::setrlimit(RLIMIT_FSIZE, &limit);
    try {
      AtomicOutput(out, Existing::refuse).commit_text(std::string(4096, 'x'));
    } catch (const UserError& e) {
      const std::string message = e.what();
      _exit(message.find("File too large") != std::string::npos && !fs::exists(out) ? 3 : 4);
    }
    _exit(5);
  }
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFEXITED(status)) << "killed by signal " << WTERMSIG(status);
  EXPECT_EQ(WEXITSTATUS(status), 3);
  EXPECT_FALSE(fs::exists(out + ".partial"));
}

}  // namespace
}  // namespace poisonsim
