// Every verb's command-line mistakes end like every other error: one `error:` line naming the
// verb and what was wrong, exit code 2 (--help and --version still exit 0).
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "tests/test_support.h"

namespace poisonsim {
namespace {

void expect_one_error_line(const std::string& arguments, const std::string& fragment) {
  const auto result = test::run_poisonsim(arguments);
  SCOPED_TRACE("poisonsim " + arguments + "\n" + result.output);
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_EQ(result.output.rfind("error: ", 0), 0u);
  EXPECT_EQ(result.output.find('\n'), result.output.size() - 1);
  EXPECT_NE(result.output.find(fragment), std::string::npos);
}

TEST(CliErrors, EveryVerbsUnknownOptionIsOneErrorLine) {
  const std::vector<std::string> verbs = {
      "run",           "validate",      "inspect",       "attack",        "train",
      "sweep",         "merge",         "roc",           "report",        "export",
      "bench serving", "bench attacks", "bench kernels", "bench threads", "bench numerics"};
  for (const auto& verb : verbs)
    expect_one_error_line(verb + " --no-such-option",
                          "poisonsim " + verb + ": unknown option --no-such-option (see");
}

// CLI11 alone printed "The following arguments were not expected: 10 --chekpoint-every".
TEST(CliErrors, MisspelledOptionsAndVerbsGetTheNearestName) {
  const auto typo = test::run_poisonsim("run s.yaml --chekpoint-every 10");
  EXPECT_EQ(typo.output,
            "error: poisonsim run: unknown option --chekpoint-every, did you mean "
            "--checkpoint-every? (see " +
                test::poisonsim_binary() + " run --help)\n");
  EXPECT_EQ(typo.exit_code, 2);
  expect_one_error_line("run s.yaml --set=a=1 --qiet",
                        "unknown option --qiet, did you mean --quiet?");  // a global option
  expect_one_error_line("sweep s.yaml --parma=guard.threshold=1,2",
                        "poisonsim sweep: unknown option --parma, did you mean --param?");
  expect_one_error_line("swep s.yaml",
                        "swep: not a poisonsim verb, did you mean sweep? "
                        "(expected one of: run,");
  expect_one_error_line("bench servin", "servin: not a verb of bench, did you mean serving?");
  // Nothing close: no guess, the list.
  const auto far = test::run_poisonsim("frobnicate");
  EXPECT_EQ(far.output.find("did you mean"), std::string::npos) << far.output;
  // A stray word that is no option keeps CLI11's text, one line.
  expect_one_error_line("run a.yaml b.yaml",
                        "poisonsim run: The following argument was not "
                        "expected: b.yaml");
}

TEST(CliErrors, MissingPositionalsUnknownVerbsAndBadValuesAreOneErrorLine) {
  expect_one_error_line("run", "poisonsim run: scenario is required (see " +
                                   test::poisonsim_binary() + " run --help)");
  expect_one_error_line("inspect", "inspect: no trace given");
  expect_one_error_line("export", "poisonsim export: trace is required");
  expect_one_error_line("frobnicate", "frobnicate: not a poisonsim verb (expected one of: run");
  expect_one_error_line("", "expected a verb");
  expect_one_error_line("--threads 2", "expected a verb");
  expect_one_error_line("--threads x run s.yaml", "--threads");
  expect_one_error_line("bench", "poisonsim bench: ");
  expect_one_error_line("bench attacks --n 1", "poisonsim bench attacks: --n");
}

TEST(CliErrors, HelpAndVersionStillExitZero) {
  for (const std::string arguments :
       {"--help", "--version", "run --help", "bench serving --help"}) {
    const auto result = test::run_poisonsim(arguments);
    EXPECT_EQ(result.exit_code, 0) << arguments << "\n" << result.output;
  }
}

}  // namespace
}  // namespace poisonsim
