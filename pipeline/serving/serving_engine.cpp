// The second half of ServingEngine (serving_engine_impl.h): checks a call's inputs, runs the
// batch size's chain on a workspace of its own and turns the logits into predictions and losses.
#include "pipeline/serving/serving_engine.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "pipeline/serving/serving_engine_impl.h"
#include "sim/util/error.h"

namespace poisonsim {

using serving_detail::Chain;
using serving_detail::memory;
using serving_detail::Source;
using serving_detail::Tag;
using serving_detail::Type;
using serving_detail::Workspace;

namespace {

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

void ServingEngine::Impl::run(Chain& chain, const float* images, float* logits,
                              float* features) const {
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
  if (features && chain.feature_index) {
    memory out(chain.feature_desc, engine, features);
    chain.feature_reorder.execute(stream, {{DNNL_ARG_FROM, ws->activations[*chain.feature_index]},
                                           {DNNL_ARG_TO, out}});
  }
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

int64_t ServingEngine::feature_dim() const {
  return impl_->spec.hidden.empty() ? impl_->spec.num_classes : impl_->spec.hidden.back();
}

BatchScores ServingEngine::score(const float* images, const int64_t* labels, int64_t n,
                                 bool with_features) const {
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
  if (with_features) out.features.resize(static_cast<size_t>(n * feature_dim()));
  Chain& chain = impl_->chain_for(n);
  try {
    impl_->run(chain, images, out.logits.data(), with_features ? out.features.data() : nullptr);
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
  if (with_features && spec().hidden.empty()) out.features = out.logits;
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
