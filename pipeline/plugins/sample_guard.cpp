#include "pipeline/plugins/sample_guard.h"

#include <limits>

namespace poisonsim {

double SampleGuard::threshold() const { return std::numeric_limits<double>::quiet_NaN(); }

void SampleGuard::judge_batch(const ScoredSample* samples, size_t n, Verdict* verdicts) {
  for (size_t i = 0; i < n; ++i) verdicts[i] = judge(samples[i]);
}

}  // namespace poisonsim
