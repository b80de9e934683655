#pragma once
// The agreement checks of `bench attacks --reference`: small problems both sides solve from the
// same start, whose answers must agree to float32 rounding before their speeds are compared.
#include <string>
#include <vector>

#include "tools/bench/reference_benchmark.h"
#include "tools/bench/reference_process.h"
#include "tools/bench/reference_setup.h"

namespace poisonsim::bench {

// The direct method, one ascent iteration on a group of up to 10 seeds, for each of `engines` that
// applies, against the reference's autograd: same seeds, labels and validation subset.
// The generative method, 3 G steps for each of `rules` from the same initial G, on a pool of one
// batch of 64 seeds taken as one simulated SGD step (so batch order does not matter), labels
// kept, no selection: G's output on the pool and the reward of every step are compared.
// Problem files go to `dir`.
std::vector<ReferenceCheck> run_reference_checks(const ReferenceSetup& setup,
                                                 ReferenceProcess& reference,
                                                 const std::vector<std::string>& engines,
                                                 const std::vector<std::string>& rules,
                                                 const std::string& dir);

}  // namespace poisonsim::bench
