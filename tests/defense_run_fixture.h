#pragma once
// The fixture of the defense-stage run tests (tests/defense_runs_test.cpp,
// tests/stage_scores_test.cpp): the quickstart with label flips from 120 s, 240 simulated
// seconds, one pretraining cache for the suite.
#include <cstdlib>
#include <string>

#include <gtest/gtest.h>

#include "tests/test_support.h"

namespace poisonsim::test {

inline std::string quickstart() {
  return std::string(POISONSIM_SOURCE_DIR) + "/scenarios/quickstart.yaml";
}

// Label flips from 120 s (about 10% of the batches), the quickstart's stream and retraining.
inline const std::string kFlips =
    " --set 'attackers=[{name: flipper, type: label-flip, arrival: {rate: 0.2}, start: 120}]'";

struct DefenseRunFixture : ::testing::Test {
  static void SetUpTestSuite() { setenv("POISONSIM_CACHE_DIR", cache().path().c_str(), 1); }
  static ScratchDir& cache() {
    static ScratchDir dir;
    return dir;
  }
  CommandResult run(const std::string& trace, const std::string& extra) {
    return run_poisonsim("--log-level warn run " + quickstart() + " -o " + dir.file(trace) +
                         " --quiet --set duration=240" + kFlips + " " + extra);
  }
  ScratchDir dir;
};

}  // namespace poisonsim::test
