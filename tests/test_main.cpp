// The main() of every GoogleTest suite: like gtest_main, but the numeric libraries first get the
// same environment as the CLI (BLAS kernel for this CPU, passive OpenMP waiting), so the suites
// run at the speed users see and test what users run.
#include <gtest/gtest.h>

#include "pipeline/runtime/numeric_runtime.h"

int main(int argc, char** argv) {
  poisonsim::prepare_numeric_environment(argv);
  testing::InitGoogleTest(&argc, argv);
  return RUN_ALL_TESTS();
}
