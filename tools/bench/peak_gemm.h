#pragma once
// The machine's measured matrix-multiply peak: a large square oneDNN matmul, timed in the same
// process and with the same threads as the serving figures, so that "fraction of peak" is a
// ratio of two measurements of one run rather than a datasheet number.
#include <cstdint>
#include <memory>
#include <vector>

#include "pipeline/model/model_spec.h"
#include "tools/bench/measured_rate.h"

namespace poisonsim::bench {

enum class GemmPrecision { f32, bf16 };  // bf16: bf16 inputs, f32 accumulation and output

// One square matmul C = A * B of size n x n x n in `precision`, with its primitive and buffers
// created up front; call() runs it once.
class PeakGemm {
 public:
  PeakGemm(int64_t n, GemmPrecision precision);
  ~PeakGemm();
  PeakGemm(const PeakGemm&) = delete;
  PeakGemm& operator=(const PeakGemm&) = delete;

  void call();
  // Floating-point operations of one call: 2 n^3 (a multiply and an add per term).
  double flops() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// The peak matmuls of side n as things that take turns with a benchmark's own figures: f32
// first, then bf16 where oneDNN may use the CPU's bf16 units (ServingEngine::bf16_supported()).
// Each Measured owns its matmul.
std::vector<Measured> peak_measures(int64_t n);

// Floating-point operations of one sample's forward pass through a native (mlp/cnn) spec:
// 2 per multiply-add of every convolution and fully connected layer. Bias, ReLU, pooling and
// the loss are left out (they are a few per cent of the total for the benchmark's models).
double forward_flops_per_sample(const ModelSpec& spec);

}  // namespace poisonsim::bench
