#include "attackers/direct/factored_kernel.h"

#include <algorithm>
#include <cmath>

// 64-byte vector types in functions compiled for several targets: their by-value ABI differs
// between targets, which does not matter here (everything they touch is inlined).
#pragma GCC diagnostic ignored "-Wpsabi"

namespace poisonsim {
namespace {

#define PS_INLINE inline __attribute__((always_inline))

// 64-byte vectors (GCC vector extensions): one AVX-512 register, two AVX2 or four SSE ones,
// whichever target the code below is compiled for.
typedef float FloatVector __attribute__((vector_size(64)));
typedef double DoubleVector __attribute__((vector_size(64)));
template <typename T>
struct Simd;
template <>
struct Simd<float> {
  using V = FloatVector;
};
template <>
struct Simd<double> {
  using V = DoubleVector;
};
template <typename T>
constexpr int64_t kLanes = static_cast<int64_t>(64 / sizeof(T));

template <typename T, typename V = typename Simd<T>::V>
PS_INLINE V load(const T* p) {
  V v;
  __builtin_memcpy(&v, p, sizeof(V));
  return v;
}

template <typename T, typename V = typename Simd<T>::V>
PS_INLINE void store(T* p, V v) {
  __builtin_memcpy(p, &v, sizeof(V));
}

template <typename T, typename V = typename Simd<T>::V>
PS_INLINE T lane_sum(V v) {
  T sum = 0;
  for (int64_t k = 0; k < kLanes<T>; ++k) sum += v[k];
  return sum;
}

// out[r] = rows[r] . x for M rows (of stride ld) in one pass over x.
template <int M, typename T>
PS_INLINE void dots(const T* rows, int64_t ld, const T* x, int64_t n, T* out) {
  using V = typename Simd<T>::V;
  V acc[M] = {};
  int64_t i = 0;
  for (; i + kLanes<T> <= n; i += kLanes<T>) {
    const V xv = load(x + i);
    for (int r = 0; r < M; ++r) acc[r] += load(rows + r * ld + i) * xv;
  }
  for (int r = 0; r < M; ++r) {
    out[r] = lane_sum<T>(acc[r]);
    for (int64_t k = i; k < n; ++k) out[r] += rows[r * ld + k] * x[k];
  }
}

// Four independent accumulators: a single one would wait on each add's latency.
template <typename T>
PS_INLINE T dot(const T* a, const T* b, int64_t n) {
  using V = typename Simd<T>::V;
  constexpr int64_t L = kLanes<T>;
  V acc0 = {}, acc1 = {}, acc2 = {}, acc3 = {};
  int64_t i = 0;
  for (; i + 4 * L <= n; i += 4 * L) {
    acc0 += load(a + i) * load(b + i);
    acc1 += load(a + i + L) * load(b + i + L);
    acc2 += load(a + i + 2 * L) * load(b + i + 2 * L);
    acc3 += load(a + i + 3 * L) * load(b + i + 3 * L);
  }
  for (; i + L <= n; i += L) acc0 += load(a + i) * load(b + i);
  T sum = lane_sum<T>((acc0 + acc1) + (acc2 + acc3));
  for (; i < n; ++i) sum += a[i] * b[i];
  return sum;
}

// y += alpha * x
template <typename T>
PS_INLINE void axpy(T alpha, const T* x, T* y, int64_t n) {
  int64_t i = 0;
  for (; i + kLanes<T> <= n; i += kLanes<T>) store(y + i, load(y + i) + alpha * load(x + i));
  for (; i < n; ++i) y[i] += alpha * x[i];
}

// out = sum_k coef[k] * rows[k] + sum_j coef2[j] * rows2[j], zero where mask <= 0: the hidden
// layer's adjoint in one pass (rows of stride ld / ld2).
template <typename T>
PS_INLINE void combine_masked(const T* coef, const T* rows, int64_t count, int64_t ld,
                              const T* coef2, const T* rows2, int64_t count2, int64_t ld2,
                              const T* mask, T* out, int64_t n) {
  using V = typename Simd<T>::V;
  constexpr int64_t L = kLanes<T>;
  const V zero = {};
  int64_t i = 0;
  // Two vectors per step: two independent chains of multiply-adds.
  for (; i + 2 * L <= n; i += 2 * L) {
    V acc0 = {}, acc1 = {};
    for (int64_t k = 0; k < count; ++k) {
      acc0 += coef[k] * load(rows + k * ld + i);
      acc1 += coef[k] * load(rows + k * ld + i + L);
    }
    for (int64_t j = 0; j < count2; ++j) {
      acc0 += coef2[j] * load(rows2 + j * ld2 + i);
      acc1 += coef2[j] * load(rows2 + j * ld2 + i + L);
    }
    store(out + i, load(mask + i) > zero ? acc0 : zero);
    store(out + i + L, load(mask + i + L) > zero ? acc1 : zero);
  }
  for (; i + L <= n; i += L) {
    V acc = {};
    for (int64_t k = 0; k < count; ++k) acc += coef[k] * load(rows + k * ld + i);
    for (int64_t j = 0; j < count2; ++j) acc += coef2[j] * load(rows2 + j * ld2 + i);
    store(out + i, load(mask + i) > zero ? acc : zero);
  }
  for (; i < n; ++i) {
    T acc = 0;
    for (int64_t k = 0; k < count; ++k) acc += coef[k] * rows[k * ld + i];
    for (int64_t j = 0; j < count2; ++j) acc += coef2[j] * rows2[j * ld2 + i];
    out[i] = mask[i] > T(0) ? acc : T(0);
  }
}

template <typename T>
PS_INLINE void rows(const OneHiddenProblem<T>& p, int64_t begin, int64_t end,
                    OneHiddenSums<T>& sums) {
  const int64_t d = p.d, h = p.h, c = p.c, g = p.g;
  sums.loss = 0;
  sums.correct = 0;
  sums.adj_delta1.assign(static_cast<size_t>(g * h), T(0));
  sums.adj_delta2.assign(static_cast<size_t>(g * c), T(0));
  sums.adj_a1.assign(static_cast<size_t>(g * h), T(0));
  sums.adj_x.assign(static_cast<size_t>(g * d), T(0));
  std::vector<T> u(static_cast<size_t>(h)), v(static_cast<size_t>(h)),
      grad1(static_cast<size_t>(h));
  std::vector<T> logits(static_cast<size_t>(c)), grad2(static_cast<size_t>(c));
  std::vector<T> s1(static_cast<size_t>(g)), s2(static_cast<size_t>(g));
  std::vector<T> p1(static_cast<size_t>(g)), p2(static_cast<size_t>(g));
  for (int64_t i = begin; i < end; ++i) {
    const T* x = p.x_val + i * p.ldx;
    // Hidden layer at W': u = X_i W_1^T + b_1 - lr sum_j s1_j delta1_j, s1_j = x_j . X_i + 1.
    std::copy(p.u1_base + i * h, p.u1_base + (i + 1) * h, u.begin());
    for (int64_t j = 0; j < g; ++j) {
      s1[j] = dot(p.poison + j * p.ldp, x, d) + T(1);
      axpy(-p.lr * s1[j], p.delta1 + j * h, u.data(), h);
    }
    for (int64_t k = 0; k < h; ++k) v[k] = u[k] > T(0) ? u[k] : T(0);
    // Logits at W': W_2 v + b_2 - lr sum_j s2_j delta2_j, s2_j = a1_j . v + 1.
    for (int64_t j = 0; j < g; ++j) s2[j] = dot(p.a1 + j * p.lda, v.data(), h) + T(1);
    int64_t k0 = 0;
    for (; k0 + 4 <= c; k0 += 4) dots<4>(p.w2 + k0 * h, h, v.data(), h, logits.data() + k0);
    for (; k0 < c; ++k0) logits[k0] = dot(p.w2 + k0 * h, v.data(), h);
    for (int64_t k = 0; k < c; ++k) {
      T z = logits[k] + p.b2[k];
      for (int64_t j = 0; j < g; ++j) z -= p.lr * s2[j] * p.delta2[j * c + k];
      logits[k] = z;
    }
    bool hit = false;
    sums.loss += softmax_cross_entropy<T>(logits.data(), c, p.labels[i], p.inv_n, nullptr,
                                          p.with_grad ? grad2.data() : nullptr, &hit);
    sums.correct += hit ? 1 : 0;
    if (!p.with_grad) continue;
    // Through the output layer's update: P2_j = delta2_j . G2.
    for (int64_t j = 0; j < g; ++j) {
      T product = 0;
      for (int64_t k = 0; k < c; ++k) product += p.delta2[j * c + k] * grad2[k];
      p2[j] = product;
      for (int64_t k = 0; k < c; ++k) sums.adj_delta2[j * c + k] -= p.lr * s2[j] * grad2[k];
      axpy(-p.lr * p2[j], v.data(), sums.adj_a1.data() + j * h, h);
    }
    // Back to the hidden layer at W': G1 = (G2 W_2 - lr sum_j P2_j a1_j) * [u > 0].
    for (int64_t j = 0; j < g; ++j) p2[j] *= -p.lr;
    combine_masked(grad2.data(), p.w2, c, h, p2.data(), p.a1, g, p.lda, u.data(), grad1.data(), h);
    // Through the first layer's update: P1_j = delta1_j . G1, and X_i's share of dL/dx_j.
    for (int64_t j = 0; j < g; ++j) {
      p1[j] = dot(p.delta1 + j * h, grad1.data(), h);
      axpy(-p.lr * s1[j], grad1.data(), sums.adj_delta1.data() + j * h, h);
      axpy(-p.lr * p1[j], x, sums.adj_x.data() + j * d, d);
    }
  }
}

// The widest vector unit the CPU has: the same loops compiled three times.
#define PS_DEFINE_ROWS(T)                                                                         \
  __attribute__((target("avx512f,avx512vl,avx2,fma"))) void rows_avx512(                          \
      const OneHiddenProblem<T>& p, int64_t begin, int64_t end, OneHiddenSums<T>& sums) {         \
    rows(p, begin, end, sums);                                                                    \
  }                                                                                               \
  __attribute__((target("avx2,fma"))) void rows_avx2(const OneHiddenProblem<T>& p, int64_t begin, \
                                                     int64_t end, OneHiddenSums<T>& sums) {       \
    rows(p, begin, end, sums);                                                                    \
  }                                                                                               \
  void rows_default(const OneHiddenProblem<T>& p, int64_t begin, int64_t end,                     \
                    OneHiddenSums<T>& sums) {                                                     \
    rows(p, begin, end, sums);                                                                    \
  }

PS_DEFINE_ROWS(float)
PS_DEFINE_ROWS(double)

template <typename T>
void dispatch(const OneHiddenProblem<T>& p, int64_t begin, int64_t end, OneHiddenSums<T>& sums) {
  const FlushSubnormals flush;
  static const int level = __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512vl")
                               ? 2
                               : (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma"));
  if (level == 2)
    rows_avx512(p, begin, end, sums);
  else if (level == 1)
    rows_avx2(p, begin, end, sums);
  else
    rows_default(p, begin, end, sums);
}

}  // namespace

void one_hidden_rows(const OneHiddenProblem<float>& p, int64_t begin, int64_t end,
                     OneHiddenSums<float>& sums) {
  dispatch(p, begin, end, sums);
}

void one_hidden_rows(const OneHiddenProblem<double>& p, int64_t begin, int64_t end,
                     OneHiddenSums<double>& sums) {
  dispatch(p, begin, end, sums);
}

}  // namespace poisonsim
