// `poisonsim bench attacks --reference`: poisonsim and the PyTorch reference
// (python/reference/reference_attacks.py) solve the same small problems from the same start and must
// agree; the benchmark writes every ratio; a missing interpreter or torch is one error line.
#include <fstream>
#include <string>

#include <sys/stat.h>

#include <nlohmann/json.hpp>

#include <gtest/gtest.h>

#include "tests/test_support.h"

namespace poisonsim {
namespace {

std::string synthetic() {
  return std::string(POISONSIM_SOURCE_DIR) + "/tests/scenarios/synthetic-small.yaml";
}

// Tiny sizes: two direct group sizes, both engines, both generative rules, one round.
std::string tiny_reference(const std::string& json) {
  return "--log-level warn bench attacks --reference --scenario " + synthetic() +
         " --n 40 --group-sizes 1,4 --rounds 1 --direct-param iterations=2"
         " --direct-param validation_samples=100 --generative-param steps=4"
         " --generative-param select_every=2 --generative-param select_samples=40"
         " --generative-param batch_size=32 --json " +
         json;
}

struct ReferenceBench : ::testing::Test {
  static void SetUpTestSuite() { setenv("POISONSIM_CACHE_DIR", cache().path().c_str(), 1); }
  static test::ScratchDir& cache() {
    static test::ScratchDir dir;
    return dir;
  }
  test::ScratchDir dir;
};

TEST_F(ReferenceBench, BothSidesAgreeAndEveryRatioIsWritten) {
  const auto result = test::run_poisonsim(tiny_reference(dir.file("ref.json")));
  ASSERT_EQ(result.exit_code, 0) << result.output;
  EXPECT_NE(result.output.find("agree"), std::string::npos) << result.output;
  const auto figures = nlohmann::json::parse(test::read_text(dir.file("ref.json")));
  EXPECT_EQ(figures["benchmark"], "attacks-reference");

  // Direct: factored and autograd at both group sizes (2 iterations, 10 seeds, same labels and
  // validation subset); generative: both rules, 3 G steps from the same initial G.
  const auto& checks = figures["checks"];
  ASSERT_EQ(checks.size(), 4u) << checks.dump(2);
  for (const auto& check : checks) {
    SCOPED_TRACE(check["what"].get<std::string>());
    EXPECT_TRUE(check["agree"].get<bool>()) << check.dump();
    EXPECT_LE(check["max_abs_diff"].get<double>(), check["tolerance"].get<double>());
    EXPECT_LE(check["tolerance"].get<double>(), 1e-2);
    EXPECT_LE(check["max_value_diff"].get<double>(), 1e-3);
    // The answers moved far from their start, so agreeing is not agreeing on doing nothing.
    EXPECT_GT(check["max_abs_change"].get<double>(), 100 * check["max_abs_diff"].get<double>());
  }

  const auto& ratios = figures["ratios"];
  for (const char* name :
       {"direct g=1 factored", "direct g=1 autograd", "direct g=4 factored", "direct g=4 autograd",
        "generative first-order training", "generative first-order generation",
        "generative unrolled training", "generative unrolled generation"}) {
    ASSERT_TRUE(ratios.contains(name)) << name << " in " << ratios.dump();
    EXPECT_GT(ratios[name].get<double>(), 0) << name;
  }
  for (const auto& cell : figures["cells"]) {
    EXPECT_EQ(cell["poisonsim"].size(), 1u) << cell.dump();
    EXPECT_EQ(cell["python"].size(), 1u) << cell.dump();
  }
  EXPECT_EQ(figures["environment"]["threads"], figures["environment"]["reference_threads"]);
  EXPECT_EQ(figures["settings"]["direct"]["iterations"], 2);
  EXPECT_EQ(figures["settings"]["generative"]["steps"], 4);
}

TEST_F(ReferenceBench, MissingInterpreterIsOneErrorLine) {
  const auto result = test::run_poisonsim_with_env(
      "POISONSIM_REFERENCE_PYTHON=/nonexistent/python3", tiny_reference(dir.file("x.json")));
  EXPECT_EQ(result.exit_code, 2) << result.output;
  EXPECT_NE(result.output.find("error: /nonexistent/python3: not found"), std::string::npos)
      << result.output;
}

TEST_F(ReferenceBench, MissingTorchIsOneErrorLine) {
  // An interpreter where `import torch` fails, as on a machine without python3-torch.
  const std::string fake = dir.file("python-without-torch");
  {
    std::ofstream out(fake);
    out << "#!/bin/sh\nexec /usr/bin/python3 -c \"import runpy, sys; sys.modules['torch'] = None; "
           "sys.argv = sys.argv[1:]; runpy.run_path(sys.argv[0], run_name='__main__')\" \"$@\"\n";
  }
  chmod(fake.c_str(), 0755);
  const auto result = test::run_poisonsim_with_env("POISONSIM_REFERENCE_PYTHON=" + fake,
                                                   tiny_reference(dir.file("x.json")));
  EXPECT_EQ(result.exit_code, 2) << result.output;
  EXPECT_NE(result.output.find("error: " + fake + ": the PyTorch reference: "), std::string::npos)
      << result.output;
  EXPECT_NE(result.output.find("python3-torch"), std::string::npos) << result.output;
}

}  // namespace
}  // namespace poisonsim
