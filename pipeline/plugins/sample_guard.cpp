#include "pipeline/plugins/sample_guard.h"

#include <limits>

namespace poisonsim {

double SampleGuard::threshold() const { return std::numeric_limits<double>::quiet_NaN(); }

void SampleGuard::judge_batch(const ScoredSample* samples, size_t n, Verdict* verdicts) {
  for (size_t i = 0; i < n; ++i) verdicts[i] = judge(samples[i]);
}

Verdict BatchSampleGuard::judge(const ScoredSample& sample) {
  Verdict verdict = Verdict::accept;
  judge_batch(&sample, 1, &verdict);
  return verdict;
}

std::vector<float> logits_of(const float* features, size_t n, const LastLayer& layer) {
  const auto k = static_cast<size_t>(layer.num_classes);
  const auto d = static_cast<size_t>(layer.feature_dim);
  std::vector<float> out(n * k);
  // Each logit is bias + the products in feature order; the classes' sums advance together so that
  // they are k independent chains, not one chain of k x d dependent additions (a quickstart
  // window's 10M multiply-adds took about 10 ms one after the other).
  for (size_t i = 0; i < n; ++i) {
    float* sums = out.data() + i * k;
    const float* x = features + i * d;
    for (size_t c = 0; c < k; ++c) sums[c] = layer.bias[c];
    for (size_t j = 0; j < d; ++j)
      for (size_t c = 0; c < k; ++c) sums[c] += layer.weight[c * d + j] * x[j];
  }
  return out;
}

}  // namespace poisonsim
