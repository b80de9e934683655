// The first half of ServingEngine (serving_engine_impl.h): the plain layers the weights are
// loaded into, and per batch size the chain of oneDNN primitives with the packed weights they
// read. Creating primitives is the slow part, done once per batch size.
#include <algorithm>
#include <utility>

#include "pipeline/serving/serving_engine_impl.h"

namespace poisonsim {

using serving_detail::Arg;
using serving_detail::Chain;
using serving_detail::memory;
using serving_detail::Source;
using serving_detail::Tag;
using serving_detail::Type;

ServingEngine::Impl::Impl(const ModelSpec& s, ServingPrecision p)
    : spec(s), precision(p), act_type(p == ServingPrecision::bf16 ? Type::bf16 : Type::f32) {
  // Plain weight descriptors, matching parameter_shapes(): the first fully connected layer of a
  // cnn is out x (C x H x W), which oneDNN flattens in the same NCHW order as torch.
  memory::dims shape{spec.input.channels, spec.input.height, spec.input.width};
  if (spec.kind == ModelKind::cnn) {
    for (auto out : spec.conv_channels) {
      add_layer({out, shape[0], spec.kernel_size, spec.kernel_size}, Tag::oihw);
      shape = {out, shape[1] / 2, shape[2] / 2};
    }
    add_layer({fc_width(0), shape[0], shape[1], shape[2]}, Tag::oihw);
  } else {
    add_layer({fc_width(0), shape[0] * shape[1] * shape[2]}, Tag::oi);
  }
  for (size_t i = 1; i <= spec.hidden.size(); ++i)
    add_layer({fc_width(i), fc_width(i - 1)}, Tag::oi);
}

int64_t ServingEngine::Impl::fc_width(size_t i) const {
  return i < spec.hidden.size() ? spec.hidden[i] : spec.num_classes;
}

void ServingEngine::Impl::add_layer(const memory::dims& weight_dims, Tag tag) {
  layers.push_back({memory({weight_dims, Type::f32, tag}, engine),
                    memory({{weight_dims[0]}, Type::f32, Tag::x}, engine)});
}

memory ServingEngine::Impl::weight_slot(size_t layer, const memory::desc& desc) const {
  for (const auto& slot : slots)
    if (slot.layer == layer && slot.packed.get_desc() == desc) return slot.packed;
  memory packed(desc, engine);
  dnnl::reorder refresh(
      dnnl::reorder::primitive_desc(engine, layers[layer].weights.get_desc(), engine, desc));
  if (loaded) {
    dnnl::stream stream(engine);
    refresh.execute(stream, {{DNNL_ARG_FROM, layers[layer].weights}, {DNNL_ARG_TO, packed}});
    stream.wait();
  }
  slots.push_back({layer, packed, refresh});
  return packed;
}

namespace {

// Builds a chain step by step, tracking where the current activation lives and in which layout.
class ChainBuilder {
 public:
  ChainBuilder(Chain& chain, const dnnl::engine& engine) : chain_(chain), engine_(engine) {
    attr_.set_scratchpad_mode(dnnl::scratchpad_mode::user);
    relu_attr_.set_scratchpad_mode(dnnl::scratchpad_mode::user);
    dnnl::post_ops relu;
    relu.append_eltwise(1.0f, dnnl::algorithm::eltwise_relu, 0.0f, 0.0f);
    relu_attr_.set_post_ops(relu);
  }

  const memory::desc& current() const { return desc_; }
  const dnnl::primitive_attr& attr(bool relu) const { return relu ? relu_attr_ : attr_; }

  void start(const memory::desc& input) {
    chain_.input_desc = input;
    desc_ = input;
    at_ = {DNNL_ARG_SRC, Source::input, 0, {}};
  }

  // Makes the current activation available in layout `want`, reordering when it differs.
  void conform(const memory::desc& want) {
    if (want == desc_) return;
    dnnl::reorder::primitive_desc pd(engine_, desc_, engine_, want, attr_);
    add(dnnl::reorder(pd), pd.scratchpad_desc(), {}, want);  // reorder's FROM/TO are SRC/DST
  }

  // Appends a primitive that reads the current activation (SRC) and writes `dst` (DST).
  void add(const dnnl::primitive& primitive, const memory::desc& scratchpad, std::vector<Arg> args,
           const memory::desc& dst, bool is_output = false) {
    args.push_back(with_key(at_, DNNL_ARG_SRC));
    Arg out{DNNL_ARG_DST, is_output ? Source::output : Source::activation, 0, {}};
    if (is_output) {
      chain_.output_desc = dst;
    } else {
      out.index = chain_.activations.size();
      chain_.activations.push_back(dst);
    }
    args.push_back(out);
    chain_.steps.push_back({primitive, std::move(args), scratchpad});
    chain_.scratchpad_bytes = std::max(chain_.scratchpad_bytes, scratchpad.get_size());
    desc_ = dst;
    at_ = out;
  }

 private:
  static Arg with_key(Arg arg, int key) {
    arg.key = key;
    return arg;
  }

  Chain& chain_;
  const dnnl::engine& engine_;
  dnnl::primitive_attr attr_;
  dnnl::primitive_attr relu_attr_;
  memory::desc desc_;
  Arg at_{DNNL_ARG_SRC, Source::input, 0, {}};
};

Arg fixed(int key, const memory& m) { return {key, Source::fixed, 0, m}; }

}  // namespace

std::unique_ptr<Chain> ServingEngine::Impl::build_chain(int64_t n) const {
  auto chain = std::make_unique<Chain>();
  ChainBuilder b(*chain, engine);
  const auto& in = spec.input;
  size_t layer = 0;
  if (spec.kind == ModelKind::cnn) {
    b.start({{n, in.channels, in.height, in.width}, Type::f32, Tag::nchw});
    memory::dims shape{in.channels, in.height, in.width};
    const int64_t pad = spec.kernel_size / 2;
    for (auto out : spec.conv_channels) {
      // `any` layouts let oneDNN pick its blocked formats; the pooling keeps the conv's format.
      const memory::desc src({n, shape[0], shape[1], shape[2]}, act_type, Tag::any);
      const memory::desc weights({out, shape[0], spec.kernel_size, spec.kernel_size}, act_type,
                                 Tag::any);
      const memory::desc dst({n, out, shape[1], shape[2]}, act_type, Tag::any);
      const dnnl::convolution_forward::desc conv(
          dnnl::prop_kind::forward_inference, dnnl::algorithm::convolution_direct, src, weights,
          layers[layer].bias.get_desc(), dst, {1, 1}, {pad, pad}, {pad, pad});
      const dnnl::convolution_forward::primitive_desc conv_pd(conv, b.attr(true), engine);
      b.conform(conv_pd.src_desc());
      b.add(dnnl::convolution_forward(conv_pd), conv_pd.scratchpad_desc(),
            {fixed(DNNL_ARG_WEIGHTS, weight_slot(layer, conv_pd.weights_desc())),
             fixed(DNNL_ARG_BIAS, layers[layer].bias)},
            conv_pd.dst_desc());
      ++layer;

      shape = {out, shape[1] / 2, shape[2] / 2};  // floor, as torch's max_pool2d(2)
      const memory::desc pooled({n, out, shape[1], shape[2]}, act_type, Tag::any);
      const dnnl::pooling_forward::desc pool(dnnl::prop_kind::forward_inference,
                                             dnnl::algorithm::pooling_max, b.current(), pooled,
                                             {2, 2}, {2, 2}, {0, 0}, {0, 0});
      const dnnl::pooling_forward::primitive_desc pool_pd(pool, b.attr(false), engine);
      b.add(dnnl::pooling_forward(pool_pd), pool_pd.scratchpad_desc(), {}, pool_pd.dst_desc());
    }
  } else {
    b.start({{n, in.numel()}, Type::f32, Tag::nc});
  }

  for (size_t i = 0; i <= spec.hidden.size(); ++i, ++layer) {
    const bool last = i == spec.hidden.size();
    // Activations already in the compute type are read in place (the inner product adapts its
    // weights to them); the user's f32 input is taken in whatever layout oneDNN prefers.
    memory::dims src_dims = b.current().dims();
    const memory::desc src = b.current().data_type() == act_type
                                 ? b.current()
                                 : memory::desc(src_dims, act_type, Tag::any);
    memory::dims weight_dims = src_dims;
    weight_dims[0] = fc_width(i);
    const memory::desc weights(weight_dims, act_type, Tag::any);
    const memory::desc dst = last ? memory::desc({n, fc_width(i)}, Type::f32, Tag::nc)
                                  : memory::desc({n, fc_width(i)}, act_type, Tag::any);
    const dnnl::inner_product_forward::desc ip(dnnl::prop_kind::forward_inference, src, weights,
                                               layers[layer].bias.get_desc(), dst);
    const dnnl::inner_product_forward::primitive_desc ip_pd(ip, b.attr(!last), engine);
    b.conform(ip_pd.src_desc());
    b.add(dnnl::inner_product_forward(ip_pd), ip_pd.scratchpad_desc(),
          {fixed(DNNL_ARG_WEIGHTS, weight_slot(layer, ip_pd.weights_desc())),
           fixed(DNNL_ARG_BIAS, layers[layer].bias)},
          ip_pd.dst_desc(), last);
    if (i + 1 == spec.hidden.size()) {
      chain->feature_index = chain->activations.size() - 1;
      chain->feature_desc = memory::desc({n, fc_width(i)}, Type::f32, Tag::nc);
      chain->feature_reorder = dnnl::reorder(dnnl::reorder::primitive_desc(
          engine, chain->activations.back(), engine, chain->feature_desc));
    }
  }
  return chain;
}

}  // namespace poisonsim
