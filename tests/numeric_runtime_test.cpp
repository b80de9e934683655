// The numeric libraries' environment: the OpenBLAS kernel poisonsim picks for the CPU (Debian's
// OpenBLAS falls back to SSE3 kernels on recent Intel CPUs), the user's choice kept, the
// OpenMP wait policy, and all of it recorded in the trace.
#include "pipeline/runtime/numeric_runtime.h"
#include "pipeline/runtime/numerics_mode.h"

#include <string>

#include <gtest/gtest.h>

#include "pipeline/trace/trace_reader.h"
#include "tests/test_support.h"

namespace poisonsim {
namespace {

// The variables poisonsim sets are inherited from this test process (its main re-executed
// itself with them): clear them so the child decides afresh, as in a user's shell. Native
// numerics: these tests are about the kernel choice that portable numerics pins
// (tests/numerics_mode_test.cpp).
const std::string kCleanEnvironment =
    std::string("-u OPENBLAS_CORETYPE -u OMP_WAIT_POLICY -u DNNL_MAX_CPU_ISA -u "
                "ATEN_CPU_CAPABILITY -u ") +
    kChosenBlasKernelVariable + " -u " + kNumericReexecVariable + " -u " +
    kNumericsActiveVariable + " -u " + kNumericsOriginalVariable + " " +
    kNumericsOverrideVariable + "=native";

std::string small_run(const test::ScratchDir& dir) {
  return "run " + std::string(POISONSIM_SOURCE_DIR) +
         "/tests/scenarios/synthetic-small.yaml --set duration=20 --quiet --force -o " +
         dir.file("t.h5");
}

TEST(NumericRuntime, KernelFollowsTheWidestVectorUnits) {
  CpuInfo cpu;
  EXPECT_EQ(openblas_kernel_for(cpu), "");
  cpu.has_avx2 = true;
  EXPECT_EQ(openblas_kernel_for(cpu), "Haswell");
  cpu.has_avx512 = true;
  EXPECT_EQ(openblas_kernel_for(cpu), "SkylakeX");
  cpu.has_avx512_bf16 = true;
  EXPECT_EQ(openblas_kernel_for(cpu), "Cooperlake");
}

TEST(NumericRuntime, GenericKernelOnAModernCpuIsWarnedAbout) {
  CpuInfo cpu;
  cpu.model = "Some Xeon";
  cpu.has_avx2 = cpu.has_avx512 = true;
  BlasInfo blas;
  blas.openblas = true;
  blas.kernel = "Prescott";
  blas.generic = true;
  const std::string warning = blas_warning(blas, cpu);
  EXPECT_NE(warning.find("Prescott"), std::string::npos) << warning;
  EXPECT_NE(warning.find("AVX-512"), std::string::npos) << warning;
  EXPECT_NE(warning.find("SkylakeX"), std::string::npos) << warning;
  blas.kernel = "SkylakeX";
  blas.generic = false;
  EXPECT_EQ(blas_warning(blas, cpu), "");
  blas.openblas = false;
  EXPECT_NE(blas_warning(blas, cpu).find("reference BLAS"), std::string::npos);
}

TEST(NumericRuntime, RunChoosesAVectorKernelAndRecordsIt) {
  const CpuInfo cpu = cpu_info();
  test::ScratchDir dir;
  const auto result = test::run_poisonsim_with_env(kCleanEnvironment, small_run(dir));
  ASSERT_EQ(result.exit_code, 0) << result.output;
  EXPECT_EQ(result.output.find("warning"), std::string::npos) << result.output;
  const auto meta = TraceReader(dir.file("t.h5")).metadata();
  EXPECT_NE(meta.cpu.find(cpu.model), std::string::npos) << meta.cpu;
  EXPECT_NE(meta.blas.find("OpenMP wait policy passive"), std::string::npos) << meta.blas;
  if (meta.blas.find("OpenBLAS") == std::string::npos) GTEST_SKIP() << "no OpenBLAS: " << meta.blas;
  ASSERT_FALSE(meta.blas_kernel.empty());
  if (!cpu.has_avx2) return;  // OpenBLAS's own choice is kept on CPUs without AVX2
  BlasInfo recorded;
  recorded.openblas = true;
  recorded.kernel = meta.blas_kernel;
  EXPECT_EQ(blas_warning(recorded, cpu), "") << meta.blas;
  // Either OpenBLAS recognised the CPU or poisonsim chose the kernel for it.
  const bool chosen = meta.blas.find("chosen by poisonsim") != std::string::npos;
  EXPECT_TRUE(chosen || meta.blas.find("detected by OpenBLAS") != std::string::npos) << meta.blas;
  if (chosen) {
    EXPECT_EQ(meta.blas_kernel, openblas_kernel_for(cpu));
  }
}

TEST(NumericRuntime, UsersKernelAndWaitPolicyAreKeptAndAGenericKernelWarned) {
  const CpuInfo cpu = cpu_info();
  test::ScratchDir dir;
  const auto result = test::run_poisonsim_with_env(
      kCleanEnvironment + " OPENBLAS_CORETYPE=Prescott OMP_WAIT_POLICY=active", small_run(dir));
  ASSERT_EQ(result.exit_code, 0) << result.output;
  const auto meta = TraceReader(dir.file("t.h5")).metadata();
  if (meta.blas.find("OpenBLAS") == std::string::npos) GTEST_SKIP() << "no OpenBLAS: " << meta.blas;
  EXPECT_EQ(meta.blas_kernel, "Prescott");
  EXPECT_NE(meta.blas.find("set by OPENBLAS_CORETYPE"), std::string::npos) << meta.blas;
  EXPECT_NE(meta.blas.find("OpenMP wait policy active"), std::string::npos) << meta.blas;
  if (cpu.has_avx2) {
    EXPECT_NE(result.output.find("warning"), std::string::npos) << result.output;
    EXPECT_NE(result.output.find("generic Prescott kernel"), std::string::npos) << result.output;
  }
}

TEST(NumericRuntime, InspectShowsTheMachineAndBlas) {
  test::ScratchDir dir;
  ASSERT_EQ(test::run_poisonsim_with_env(kCleanEnvironment, small_run(dir)).exit_code, 0);
  const auto result = test::run_poisonsim("inspect " + dir.file("t.h5"));
  ASSERT_EQ(result.exit_code, 0) << result.output;
  EXPECT_NE(result.output.find("machine    "), std::string::npos) << result.output;
  EXPECT_NE(result.output.find("BLAS       "), std::string::npos) << result.output;
}

}  // namespace
}  // namespace poisonsim
