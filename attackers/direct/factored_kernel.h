#pragma once
// The factored direct objective fused over validation rows, for an MLP with one hidden layer
// (the paper's target and the default): per validation row it forms the rank-g-corrected
// hidden layer, the logits, the loss and its share of every gradient term, so no N x width
// intermediate is written and the validation images are read once. Plain loops (vectorised per
// CPU at run time), no torch. Notation as in attackers/direct/factored.cpp.
#include <cmath>
#include <cstdint>
#include <vector>

#if defined(__SSE__)
#include <xmmintrin.h>
#endif

namespace poisonsim {

// Subnormal numbers (below ~1e-38 in float) flushed to zero on this thread while in scope: a
// confident target's softmax puts them in the output gradient, and every multiply-add with
// one then takes a slow microcode path (docs/performance.md).
// What they would add to the result is far below float resolution.
class FlushSubnormals {
 public:
#if defined(__SSE__)
  FlushSubnormals() : saved_(_mm_getcsr()) { _mm_setcsr(saved_ | kFlushToZero | kDenormalsZero); }
  ~FlushSubnormals() { _mm_setcsr(saved_); }
#else
  FlushSubnormals() {}  // no control register to set
#endif
  FlushSubnormals(const FlushSubnormals&) = delete;
  FlushSubnormals& operator=(const FlushSubnormals&) = delete;

#if defined(__SSE__)
 private:
  static constexpr unsigned kFlushToZero = 0x8000;
  static constexpr unsigned kDenormalsZero = 0x0040;
  unsigned saved_;
#endif
};

// Cross-entropy of one row of logits at `label` (returned); `*hit` tells whether the first
// largest logit is the label. With `grad`, writes (softmax - onehot(label)) * scale there and,
// with `probs`, the softmax.
template <typename T>
inline double softmax_cross_entropy(const T* logits, int64_t classes, int64_t label, T scale,
                                    T* probs, T* grad, bool* hit) {
  int64_t best = 0;
  for (int64_t k = 1; k < classes; ++k)
    if (logits[k] > logits[best]) best = k;
  const T top = logits[best];
  T total = 0;
  for (int64_t k = 0; k < classes; ++k) total += std::exp(logits[k] - top);
  *hit = best == label;
  if (grad) {
    for (int64_t k = 0; k < classes; ++k) {
      const T p = std::exp(logits[k] - top) / total;
      if (probs) probs[k] = p;
      grad[k] = (p - (k == label ? T(1) : T(0))) * scale;
    }
  }
  return static_cast<double>(std::log(total) + top - logits[label]);
}

template <typename T>
struct OneHiddenProblem {
  int64_t d = 0, h = 0, c = 0, g = 0;  // input, hidden, classes, poison rows
  T lr = 0;
  T inv_n = 0;               // 1 / validation rows (the mean loss)
  const T* x_val = nullptr;  // validation images, rows of `ldx`
  int64_t ldx = 0;
  const T* u1_base = nullptr;  // X W_1^T + b_1, N x h
  const int64_t* labels = nullptr;
  const T* w2 = nullptr;      // c x h
  const T* b2 = nullptr;      // c
  const T* poison = nullptr;  // g x d, rows of `ldp`
  int64_t ldp = 0;
  const T* a1 = nullptr;  // poison hidden activations, g x h, rows of `lda`
  int64_t lda = 0;
  const T* delta1 = nullptr;  // g x h
  const T* delta2 = nullptr;  // g x c
  bool with_grad = true;
};

// What a block of validation rows adds: loss, hits and (with_grad) the validation side of
// dL/d delta_1 (g x h), dL/d delta_2 (g x c), dL/d a_1 (g x h), dL/d x_p through W_1 (g x d).
template <typename T>
struct OneHiddenSums {
  double loss = 0;
  int64_t correct = 0;
  std::vector<T> adj_delta1, adj_delta2, adj_a1, adj_x;
};

// Rows [begin, end) of the validation set; `sums` is reset first.
void one_hidden_rows(const OneHiddenProblem<float>& p, int64_t begin, int64_t end,
                     OneHiddenSums<float>& sums);
void one_hidden_rows(const OneHiddenProblem<double>& p, int64_t begin, int64_t end,
                     OneHiddenSums<double>& sums);

}  // namespace poisonsim
