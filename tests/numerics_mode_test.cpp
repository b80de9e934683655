// Numerics modes (pipeline/runtime/numerics_mode.h): portable pins every numeric library to its
// x86-64-v3 level whatever the user's variables say, the scenario's compute.numerics switches
// the process, POISONSIM_NUMERICS overrides the scenario, and the trace records what ran. That
// portable traces are the same on other CPUs is the golden test's job (tests/golden).
#include <string>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "pipeline/runtime/numeric_runtime.h"
#include "pipeline/runtime/numerics_mode.h"
#include "pipeline/trace/trace_reader.h"
#include "tests/test_support.h"
#include "tests/trace_row_fields.h"

namespace poisonsim {
namespace {

// A shell's environment: none of the variables poisonsim or the libraries read.
std::string clean_environment() {
  std::string out;
  for (const char* name :
       {"OPENBLAS_CORETYPE", "DNNL_MAX_CPU_ISA", "ATEN_CPU_CAPABILITY", kChosenBlasKernelVariable,
        kNumericReexecVariable, kNumericsOverrideVariable, kNumericsActiveVariable,
        kNumericsOriginalVariable})
    out += std::string(" -u ") + name;
  return out;
}

test::CommandResult small_run(const std::string& environment, const std::string& path,
                              const std::string& extra = "") {
  return test::run_poisonsim_with_env(
      clean_environment() + " " + environment,
      "run " + std::string(POISONSIM_SOURCE_DIR) +
          "/tests/scenarios/synthetic-small.yaml --set duration=40 --quiet --force -o " + path +
          " " + extra);
}

const std::string kPortable = "portable: OpenBLAS Haswell, oneDNN avx2, ATen AVX2";

void skip_without_avx2_and_openblas(const std::string& numerics) {
  if (!cpu_supports_portable(cpu_info())) GTEST_SKIP() << "no AVX2 here: portable cannot run";
  if (numerics.find("OpenBLAS absent") != std::string::npos) GTEST_SKIP() << "no OpenBLAS";
}

TEST(NumericsMode, NamesParseAndPrint) {
  EXPECT_EQ(to_string(NumericsMode::portable), "portable");
  EXPECT_EQ(numerics_mode_names().find("native"), NumericsMode::native);
  EXPECT_FALSE(numerics_mode_names().find("fast").has_value());
}

TEST(NumericsMode, PortableIsTheDefaultAndPinsEveryLibrary) {
  test::ScratchDir dir;
  const auto result = small_run("", dir.file("t.h5"));
  ASSERT_EQ(result.exit_code, 0) << result.output;
  const auto meta = TraceReader(dir.file("t.h5")).metadata();
  skip_without_avx2_and_openblas(meta.numerics);
  EXPECT_EQ(meta.numerics, kPortable);
  EXPECT_EQ(meta.blas_kernel, "Haswell");
  EXPECT_NE(meta.provenance.find("\"in_effect\":true"), std::string::npos) << meta.provenance;
  EXPECT_EQ(result.output.find("warning"), std::string::npos) << result.output;
}

TEST(NumericsMode, PortableReplacesTheUsersKernelsWithAWarningAndKeepsTheNumbers) {
  test::ScratchDir dir;
  const auto plain = small_run("", dir.file("plain.h5"));
  ASSERT_EQ(plain.exit_code, 0) << plain.output;
  const auto forced = small_run(
      "OPENBLAS_CORETYPE=SkylakeX DNNL_MAX_CPU_ISA=AVX512_CORE ATEN_CPU_CAPABILITY=avx512",
      dir.file("forced.h5"));
  ASSERT_EQ(forced.exit_code, 0) << forced.output;
  const auto meta = TraceReader(dir.file("forced.h5")).metadata();
  skip_without_avx2_and_openblas(meta.numerics);
  EXPECT_EQ(meta.numerics, kPortable);
  EXPECT_NE(forced.output.find("portable numerics replaced OPENBLAS_CORETYPE=SkylakeX "
                               "DNNL_MAX_CPU_ISA=AVX512_CORE ATEN_CPU_CAPABILITY=avx512"),
            std::string::npos)
      << forced.output;
  test::expect_same_trace(dir.file("plain.h5"), dir.file("forced.h5"));
}

TEST(NumericsMode, TheScenarioSwitchesTheProcessAndTheVariableOverridesIt) {
  test::ScratchDir dir;
  const auto native = small_run("", dir.file("native.h5"), "--set compute.numerics=native");
  ASSERT_EQ(native.exit_code, 0) << native.output;
  const auto native_meta = TraceReader(dir.file("native.h5")).metadata();
  EXPECT_EQ(native_meta.numerics.rfind("native: ", 0), 0u) << native_meta.numerics;
  // The user's variables are the libraries' own business in native mode: kept, not warned.
  const auto users =
      small_run("OPENBLAS_CORETYPE=Haswell", dir.file("users.h5"), "--set compute.numerics=native");
  ASSERT_EQ(users.exit_code, 0) << users.output;
  EXPECT_EQ(users.output.find("replaced"), std::string::npos) << users.output;
  EXPECT_EQ(TraceReader(dir.file("users.h5")).metadata().blas_kernel.substr(0, 7), "Haswell");

  const auto forced = small_run("POISONSIM_NUMERICS=portable", dir.file("forced.h5"),
                                "--set compute.numerics=native");
  ASSERT_EQ(forced.exit_code, 0) << forced.output;
  const auto forced_meta = TraceReader(dir.file("forced.h5")).metadata();
  skip_without_avx2_and_openblas(forced_meta.numerics);
  EXPECT_EQ(forced_meta.numerics, kPortable);
}

TEST(NumericsMode, AnUnknownModeIsOneErrorLine) {
  test::ScratchDir dir;
  const auto result = small_run("POISONSIM_NUMERICS=fast", dir.file("t.h5"));
  EXPECT_EQ(result.exit_code, 2) << result.output;
  EXPECT_EQ(result.output,
            "error: POISONSIM_NUMERICS: unknown numerics mode 'fast', expected portable or "
            "native\n");
  const auto key = small_run("", dir.file("t.h5"), "--set compute.numerics=fast");
  EXPECT_EQ(key.exit_code, 2) << key.output;
  EXPECT_NE(key.output.find("compute.numerics"), std::string::npos) << key.output;
  EXPECT_NE(key.output.find("expected one of portable, native"), std::string::npos) << key.output;
}

TEST(NumericsMode, InspectShowsTheNumerics) {
  test::ScratchDir dir;
  ASSERT_EQ(small_run("", dir.file("t.h5")).exit_code, 0);
  const auto result = test::run_poisonsim("inspect " + dir.file("t.h5"));
  ASSERT_EQ(result.exit_code, 0) << result.output;
  EXPECT_NE(result.output.find("numerics   "), std::string::npos) << result.output;
}

TEST(NumericsMode, BenchNumericsTimesBothModesInTurns) {
  test::ScratchDir dir;
  const auto result = test::run_poisonsim_with_env(
      "POISONSIM_CACHE_DIR=" + dir.file("cache"),
      "--log-level warn bench numerics --scenario " + std::string(POISONSIM_SOURCE_DIR) +
          "/tests/scenarios/synthetic-small.yaml --set duration=20 --rounds 2 --json " +
          dir.file("b.json"));
  ASSERT_EQ(result.exit_code, 0) << result.output;
  EXPECT_NE(result.output.find("paired"), std::string::npos) << result.output;
  const auto figures = nlohmann::json::parse(test::read_text(dir.file("b.json")));
  ASSERT_EQ(figures["variants"].size(), 2u) << figures.dump(1);
  for (const auto& variant : figures["variants"]) {
    const std::string mode = variant["variant"];
    EXPECT_EQ(variant["seconds"].size(), 2u);
    EXPECT_GE(variant["paired_ratio_to_fastest"].get<double>(), 1.0);
    // Each side really ran in its mode: the runs' traces said so.
    EXPECT_NE(variant["blas"].get<std::string>().find("numerics " + mode + ": "),
              std::string::npos)
        << variant.dump();
  }
}

}  // namespace
}  // namespace poisonsim
