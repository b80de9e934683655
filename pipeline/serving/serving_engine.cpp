#include "pipeline/serving/serving_engine.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <map>
#include <mutex>
#include <stdexcept>
#include <string>
#include <unordered_map>

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <oneapi/dnnl/dnnl.hpp>

#include "sim/util/error.h"

namespace poisonsim {
namespace {

using dnnl::memory;
using Tag = memory::format_tag;
using Type = memory::data_type;

// Where a primitive argument is bound when a workspace is built.
enum class Source { input, output, activation, fixed };

struct Arg {
  int key;
  Source source;
  size_t index = 0;  // activation number (Source::activation)
  memory fixed;      // weights or bias (Source::fixed), shared read-only by every call
};

struct Step {
  dnnl::primitive primitive;
  std::vector<Arg> args;
  memory::desc scratchpad;  // user-managed, so concurrent calls never share one
};

// A layer's parameters in LibTorch layout. Primitives read the bias from here directly; the
// weights are reordered into the layouts the primitives chose (WeightSlot).
struct PlainLayer {
  memory weights;  // f32, oi or oihw
  memory bias;     // f32, x
};

// Weights in one primitive-chosen layout. Batch sizes that choose the same layout share a slot, so
// load_weights() costs one reorder per distinct layout, however many batch sizes are cached.
struct WeightSlot {
  size_t layer;
  memory packed;
  dnnl::reorder refresh;  // plain -> packed
};

// The per-call buffers of a chain: activations, scratchpad and bound argument maps. A call checks
// one out, so concurrent calls never write to the same memory.
struct Workspace {
  memory input;   // user images; the handle is set per call
  memory output;  // logits; the handle is set per call
  std::vector<memory> activations;
  memory scratchpad;
  std::vector<std::unordered_map<int, memory>> args;  // per step
};

// The primitives for one batch size.
struct Chain {
  memory::desc input_desc;   // user layout, f32
  memory::desc output_desc;  // logits, f32 nc
  std::vector<memory::desc> activations;
  std::vector<Step> steps;
  size_t scratchpad_bytes = 0;

  std::mutex idle_mutex;
  std::vector<std::unique_ptr<Workspace>> idle;
};

int64_t product(const std::vector<int64_t>& shape) {
  int64_t n = 1;
  for (auto d : shape) n *= d;
  return n;
}

std::runtime_error dnnl_failure(const std::string& context, const dnnl::error& e) {
  return std::runtime_error(fmt::format("serving engine: {}: oneDNN error {} ({})", context,
                                        e.what(), static_cast<int>(e.status)));
}

}  // namespace

struct ServingEngine::Impl {
  ModelSpec spec;
  ServingPrecision precision;
  Type act_type;
  dnnl::engine engine{dnnl::engine::kind::cpu, 0};
  std::vector<PlainLayer> layers;  // conv layers, then fully connected ones

  mutable std::mutex mutex;  // guards everything below
  mutable std::vector<WeightSlot> slots;
  mutable std::map<int64_t, std::unique_ptr<Chain>> chains;
  bool loaded = false;

  Impl(const ModelSpec& s, ServingPrecision p)
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

  // Output width of fully connected layer i.
  int64_t fc_width(size_t i) const {
    return i < spec.hidden.size() ? spec.hidden[i] : spec.num_classes;
  }

  void add_layer(const memory::dims& weight_dims, Tag tag) {
    layers.push_back({memory({weight_dims, Type::f32, tag}, engine),
                      memory({{weight_dims[0]}, Type::f32, Tag::x}, engine)});
  }

  // The packed weights of `layer` in layout `desc`, shared with earlier chains when they agree.
  // Called with the mutex held.
  memory weight_slot(size_t layer, const memory::desc& desc) const {
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

  std::unique_ptr<Chain> build_chain(int64_t n) const;
  Chain& chain_for(int64_t n) const;
  void run(Chain& chain, const float* images, float* logits) const;
};

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
  }
  return chain;
}

Chain& ServingEngine::Impl::chain_for(int64_t n) const {
  std::lock_guard<std::mutex> lock(mutex);
  if (!loaded) throw std::logic_error("ServingEngine::score() called before load_weights()");
  auto& chain = chains[n];
  if (!chain) {
    try {
      chain = build_chain(n);
    } catch (const dnnl::error& e) {
      chains.erase(n);
      throw dnnl_failure(
          fmt::format("building the {} network for batch size {}", spec.describe(), n), e);
    }
  }
  return *chain;
}

void ServingEngine::Impl::run(Chain& chain, const float* images, float* logits) const {
  std::unique_ptr<Workspace> ws;
  {
    std::lock_guard<std::mutex> lock(chain.idle_mutex);
    if (!chain.idle.empty()) {
      ws = std::move(chain.idle.back());
      chain.idle.pop_back();
    }
  }
  if (!ws) {
    ws = std::make_unique<Workspace>();
    ws->input = memory(chain.input_desc, engine, DNNL_MEMORY_NONE);
    ws->output = memory(chain.output_desc, engine, DNNL_MEMORY_NONE);
    for (const auto& desc : chain.activations) ws->activations.emplace_back(desc, engine);
    if (chain.scratchpad_bytes > 0)
      ws->scratchpad =
          memory({{static_cast<int64_t>(chain.scratchpad_bytes)}, Type::u8, Tag::a}, engine);
    for (const auto& step : chain.steps) {
      auto& args = ws->args.emplace_back();
      for (const auto& arg : step.args) {
        switch (arg.source) {
          case Source::input:
            args[arg.key] = ws->input;
            break;
          case Source::output:
            args[arg.key] = ws->output;
            break;
          case Source::activation:
            args[arg.key] = ws->activations[arg.index];
            break;
          case Source::fixed:
            args[arg.key] = arg.fixed;
            break;
        }
      }
      if (step.scratchpad.get_size() > 0)
        args[DNNL_ARG_SCRATCHPAD] =
            memory(step.scratchpad, engine, ws->scratchpad.get_data_handle());
    }
  }
  // The input is only read: oneDNN takes a non-const handle.
  ws->input.set_data_handle(const_cast<float*>(images));
  ws->output.set_data_handle(logits);
  dnnl::stream stream(engine);
  for (size_t i = 0; i < chain.steps.size(); ++i)
    chain.steps[i].primitive.execute(stream, ws->args[i]);
  stream.wait();
  std::lock_guard<std::mutex> lock(chain.idle_mutex);
  chain.idle.push_back(std::move(ws));
}

ServingEngine::ServingEngine(const ModelSpec& spec, ServingPrecision precision) {
  if (spec.kind == ModelKind::torchscript)
    throw UserError("serving",
                    "the oneDNN serving engine supports mlp and cnn targets only, not "
                    "torchscript modules");
  spec.validate("serving");
  if (precision == ServingPrecision::bf16 && !bf16_supported())
    throw UserError("serving", "bf16 serving needs a CPU with AVX512-BF16 or AMX; use f32");
  try {
    impl_ = std::make_unique<Impl>(spec, precision);
  } catch (const dnnl::error& e) {
    throw dnnl_failure("creating the engine", e);
  }
}

ServingEngine::~ServingEngine() = default;

void ServingEngine::load_weights(const ModelWeights& weights) {
  const auto shapes = parameter_shapes(impl_->spec);
  if (weights.size() != shapes.size())
    throw std::invalid_argument(fmt::format("load_weights: {} tensors given, {} needs {}",
                                            weights.size(), impl_->spec.describe(), shapes.size()));
  for (size_t i = 0; i < shapes.size(); ++i) {
    const auto& [name, shape] = shapes[i];
    const auto& given = weights[i];
    if (given.shape != shape || static_cast<int64_t>(given.values.size()) != product(shape))
      throw std::invalid_argument(fmt::format(
          "load_weights: tensor {} ('{}') has shape [{}] and {} values, {} needs {} of shape [{}]",
          i, given.name, fmt::join(given.shape, ","), given.values.size(), impl_->spec.describe(),
          name, fmt::join(shape, ",")));
  }
  std::lock_guard<std::mutex> lock(impl_->mutex);
  for (size_t i = 0; i < shapes.size(); ++i) {
    const auto& layer = impl_->layers[i / 2];
    const auto& target = i % 2 == 0 ? layer.weights : layer.bias;
    std::memcpy(target.get_data_handle(), weights[i].values.data(),
                weights[i].values.size() * sizeof(float));
  }
  try {
    dnnl::stream stream(impl_->engine);
    for (const auto& slot : impl_->slots)
      slot.refresh.execute(
          stream, {{DNNL_ARG_FROM, impl_->layers[slot.layer].weights}, {DNNL_ARG_TO, slot.packed}});
    stream.wait();
  } catch (const dnnl::error& e) {
    throw dnnl_failure("reordering the new weights", e);
  }
  impl_->loaded = true;
}

BatchScores ServingEngine::score(const float* images, const int64_t* labels, int64_t n) const {
  if (n < 0) throw std::invalid_argument(fmt::format("score: negative batch size {}", n));
  const int64_t classes = impl_->spec.num_classes;
  BatchScores out;
  if (n == 0) return out;
  if (labels) {
    for (int64_t i = 0; i < n; ++i)
      if (labels[i] < 0 || labels[i] >= classes)
        throw std::invalid_argument(fmt::format(
            "score: label {} of sample {} is not a class of 0..{}", labels[i], i, classes - 1));
  }
  out.logits.resize(static_cast<size_t>(n * classes));
  Chain& chain = impl_->chain_for(n);
  try {
    impl_->run(chain, images, out.logits.data());
  } catch (const dnnl::error& e) {
    throw dnnl_failure(fmt::format("scoring a batch of {}", n), e);
  }

  out.prediction.resize(static_cast<size_t>(n));
  if (labels) out.loss.resize(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) {
    const float* row = out.logits.data() + i * classes;
    const float* best = std::max_element(row, row + classes);  // first maximum, as torch
    out.prediction[i] = best - row;
    if (!labels) continue;
    // log-softmax shifted by the maximum, so exp() cannot overflow.
    double sum = 0;
    for (int64_t c = 0; c < classes; ++c) sum += std::exp(static_cast<double>(row[c]) - *best);
    out.loss[i] = static_cast<float>(std::log(sum) + *best - row[labels[i]]);
  }
  return out;
}

const ModelSpec& ServingEngine::spec() const { return impl_->spec; }

ServingPrecision ServingEngine::precision() const { return impl_->precision; }

bool ServingEngine::bf16_supported() {
  // cpu_isa values are bit sets: avx2_vnni compares greater but has no bf16.
  const auto isa = static_cast<unsigned>(dnnl::get_effective_cpu_isa());
  const auto bf16 = static_cast<unsigned>(dnnl::cpu_isa::avx512_core_bf16);
  return (isa & bf16) == bf16;
}

}  // namespace poisonsim
