#include "tools/bench/peak_gemm.h"

#include <oneapi/dnnl/dnnl.hpp>

#include "pipeline/serving/serving_engine.h"

namespace poisonsim::bench {

using dnnl::memory;

struct PeakGemm::Impl {
  int64_t n;
  dnnl::engine engine{dnnl::engine::kind::cpu, 0};
  dnnl::stream stream{engine};
  dnnl::matmul matmul;
  memory a, b, c;
};

PeakGemm::PeakGemm(int64_t n, GemmPrecision precision) : impl_(std::make_unique<Impl>()) {
  impl_->n = n;
  const auto in_type =
      precision == GemmPrecision::bf16 ? memory::data_type::bf16 : memory::data_type::f32;
  // `any` lets oneDNN pick the blocked layouts its fastest kernel wants: the peak is what the
  // library can reach, as the serving engine's packed weights do.
  const memory::desc a_any({n, n}, in_type, memory::format_tag::any);
  const memory::desc b_any({n, n}, in_type, memory::format_tag::any);
  const memory::desc c_desc({n, n}, memory::data_type::f32, memory::format_tag::ab);
  const dnnl::matmul::primitive_desc pd(dnnl::matmul::desc(a_any, b_any, c_desc), impl_->engine);
  impl_->matmul = dnnl::matmul(pd);
  impl_->a = memory(pd.src_desc(), impl_->engine);
  impl_->b = memory(pd.weights_desc(), impl_->engine);
  impl_->c = memory(pd.dst_desc(), impl_->engine);
  // Ordinary finite values (no zeros, no subnormals), written in plain layout and reordered.
  const memory::desc plain({n, n}, memory::data_type::f32, memory::format_tag::ab);
  memory source(plain, impl_->engine);
  auto* values = static_cast<float*>(source.get_data_handle());
  for (int64_t i = 0; i < n * n; ++i) values[i] = 0.5f + static_cast<float>(i % 17) / 64.0f;
  for (auto* target : {&impl_->a, &impl_->b})
    dnnl::reorder(source, *target).execute(impl_->stream, source, *target);
  impl_->stream.wait();
}

PeakGemm::~PeakGemm() = default;

void PeakGemm::call() {
  impl_->matmul.execute(
      impl_->stream,
      {{DNNL_ARG_SRC, impl_->a}, {DNNL_ARG_WEIGHTS, impl_->b}, {DNNL_ARG_DST, impl_->c}});
  impl_->stream.wait();
}

double PeakGemm::flops() const {
  const auto n = static_cast<double>(impl_->n);
  return 2.0 * n * n * n;
}

std::vector<Measured> peak_measures(int64_t n) {
  std::vector<Measured> out;
  for (auto precision : {GemmPrecision::f32, GemmPrecision::bf16}) {
    if (precision == GemmPrecision::bf16 && !ServingEngine::bf16_supported()) continue;
    auto gemm = std::make_shared<PeakGemm>(n, precision);
    out.push_back({[gemm] { gemm->call(); }, gemm->flops(), {}});
  }
  return out;
}

double forward_flops_per_sample(const ModelSpec& spec) {
  double flops = 0;
  int64_t channels = spec.input.channels, height = spec.input.height, width = spec.input.width;
  if (spec.kind == ModelKind::cnn) {
    // Same-padding convolutions, each followed by a 2x2 max pool (model_spec.h).
    for (auto out : spec.conv_channels) {
      flops += 2.0 * static_cast<double>(channels * spec.kernel_size * spec.kernel_size * out *
                                         height * width);
      channels = out;
      height /= 2;
      width /= 2;
    }
  }
  int64_t in = channels * height * width;
  for (size_t i = 0; i <= spec.hidden.size(); ++i) {
    const int64_t out = i < spec.hidden.size() ? spec.hidden[i] : spec.num_classes;
    flops += 2.0 * static_cast<double>(in * out);
    in = out;
  }
  return flops;
}

}  // namespace poisonsim::bench
