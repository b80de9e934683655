#pragma once
// ServingEngine's insides, shared by its two halves: serving_primitives.cpp builds the oneDNN
// primitive chains and the packed weights they read; serving_engine.cpp checks inputs, runs a
// chain on per-call buffers and turns the logits into scores. Include from those two only.
#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <unordered_map>
#include <vector>

#include <oneapi/dnnl/dnnl.hpp>

#include "pipeline/serving/serving_engine.h"

namespace poisonsim {
namespace serving_detail {

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
  // The features guards see: the last hidden layer's activation (after ReLU), reordered to f32
  // nc on request. Without hidden layers, the logits are the features (feature_index unset).
  std::optional<size_t> feature_index;
  memory::desc feature_desc;  // f32 nc
  dnnl::reorder feature_reorder;

  std::mutex idle_mutex;
  std::vector<std::unique_ptr<Workspace>> idle;
};

}  // namespace serving_detail

struct ServingEngine::Impl {
  using Chain = serving_detail::Chain;
  using memory = serving_detail::memory;

  ModelSpec spec;
  ServingPrecision precision;
  serving_detail::Type act_type;
  dnnl::engine engine{dnnl::engine::kind::cpu, 0};
  std::vector<serving_detail::PlainLayer> layers;  // conv layers, then fully connected ones

  mutable std::mutex mutex;  // guards everything below
  mutable std::vector<serving_detail::WeightSlot> slots;
  mutable std::map<int64_t, std::unique_ptr<Chain>> chains;
  bool loaded = false;

  // serving_primitives.cpp: the plain layers, the packed weights and the chains.
  Impl(const ModelSpec& s, ServingPrecision p);
  // Output width of fully connected layer i.
  int64_t fc_width(size_t i) const;
  void add_layer(const memory::dims& weight_dims, serving_detail::Tag tag);
  // The packed weights of `layer` in layout `desc`, shared with earlier chains when they agree.
  // Called with the mutex held.
  memory weight_slot(size_t layer, const memory::desc& desc) const;
  std::unique_ptr<Chain> build_chain(int64_t n) const;

  // serving_engine.cpp: a chain per batch size, built on first use, and one call through it.
  Chain& chain_for(int64_t n) const;
  // `features` (n x feature_dim floats) may be null.
  void run(Chain& chain, const float* images, float* logits, float* features) const;
};

}  // namespace poisonsim
