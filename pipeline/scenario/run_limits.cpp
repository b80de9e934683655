#include "pipeline/scenario/run_limits.h"

#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <iterator>

#include <fmt/format.h>

#include "sim/util/error.h"

namespace poisonsim {
namespace {

constexpr double kFloat = 4;
// The process before any data: LibTorch, oneDNN, OpenBLAS, HDF5 and their code and arenas,
// measured as the peak RSS of a 1-second synthetic run with a 784-32-10 MLP, less its data
// (docs/testing.md#memory-estimate).
constexpr double kBaseBytes = 175e6;

struct Sizes {
  int64_t train = 0, test = 0;
};

Sizes data_sizes(const Scenario& s) {
  switch (s.data.kind) {
    case DataKind::synthetic:
      return {s.data.synthetic.train_size, s.data.synthetic.test_size};
    case DataKind::cifar10:
      return {50000, 10000};
    default:
      return {60000, 10000};  // MNIST and Fashion-MNIST
  }
}

double parameter_count(const ModelSpec& spec) {
  if (spec.kind == ModelKind::torchscript) return 0;  // unknown until the module is loaded
  double n = 0;
  for (const auto& [name, shape] : parameter_shapes(spec)) {
    double size = 1;
    for (const auto d : shape) size *= static_cast<double>(d);
    n += size;
  }
  return n;
}

// Floats of the outputs of every layer for one sample (what training keeps for the backward).
double activations_per_sample(const ModelSpec& spec) {
  double n = static_cast<double>(spec.input.numel());
  if (spec.kind == ModelKind::cnn) {
    double h = static_cast<double>(spec.input.height), w = static_cast<double>(spec.input.width);
    for (const auto c : spec.conv_channels) {
      n += 2.0 * static_cast<double>(c) * h * w;  // conv output and its ReLU
      h = std::floor(h / 2);
      w = std::floor(w / 2);
      n += static_cast<double>(c) * h * w;  // pooled
    }
  }
  for (const auto h : spec.hidden) n += 2.0 * static_cast<double>(h);
  return n + static_cast<double>(spec.num_classes);
}

double end_of(double start, const std::optional<double>& stop, double duration) {
  return std::max(start, std::min(stop.value_or(duration), duration));
}

std::vector<MemoryTerm> simulation_terms(const Scenario& s, double sample, double params) {
  const auto sizes = data_sizes(s);
  const double test = s.evaluation.test_samples > 0
                          ? std::min<double>(static_cast<double>(s.evaluation.test_samples),
                                             static_cast<double>(sizes.test))
                          : static_cast<double>(sizes.test);
  const auto& r = s.retrain;
  const double model = params * kFloat;
  const double act = activations_per_sample(s.model) * kFloat;
  std::vector<MemoryTerm> t;
  t.push_back({"data", "the data set's splits and the evaluation set",
               (static_cast<double>(sizes.train) + test) * sample});
  const double buffer = static_cast<double>(r.buffer_capacity) * sample;
  // With replay, each retrain trains on a copy of the buffer with the replayed samples appended.
  t.push_back({"retrain.buffer.capacity", "the retraining buffer", buffer});
  if (r.replay > 0)
    t.push_back({"retrain.replay", "the buffer's copy plus the replayed samples",
                 buffer + static_cast<double>(r.replay) * sample});
  // Deployed model, its oneDNN copy, the candidate with gradients (and momentum), the base
  // model a retrain from base starts from, the mean or best iterate a selection keeps.
  double copies = 4 + (r.train.momentum > 0 ? 1 : 0) + (r.start == RetrainStart::base ? 1 : 0) +
                  (r.select != ModelSelection::last ? 1 : 0);
  size_t history = 0;
  for (const auto& a : s.attackers)
    if (a.knowledge.kind == KnowledgeKind::stale)
      history = std::max(history, static_cast<size_t>(a.knowledge.stale_retrains));
  t.push_back(
      {"model", "model copies (deployed, serving, candidate and its gradients, base, selected)",
       copies * model});
  if (history > 0)
    t.push_back({"attackers.knowledge.stale_retrains", "past models kept for stale knowledge",
                 static_cast<double>(history) * model});
  const bool pretrain_larger = s.pretrain.batch_size > r.train.batch_size;
  const double batch = static_cast<double>(std::max(r.train.batch_size, s.pretrain.batch_size));
  t.push_back({pretrain_larger ? "pretrain.batch_size" : "retrain.batch_size",
               "training activations and gradients of one batch", 2 * batch * (act + sample)});
  // Arrivals are queued between scoring points (ticks), each sample with its scores.
  double window = std::min(s.evaluation.interval, s.duration);
  if (r.trigger == RetrainTrigger::interval) window = std::min(window, r.interval);
  double queued = 0;
  for (const auto& st : s.streams)
    queued += st.arrival.rate * window * static_cast<double>(st.batch_size);
  double attack = 0;
  for (const auto& a : s.attackers) {
    queued += a.arrival.rate * window * static_cast<double>(a.batch_size);
    // A target copy it trains or differentiates, its validation data through it, a batch of
    // poison with its seeds; a generative attacker also trains an auto-encoder (Adam: 4 copies)
    // whose first and last layers are about input x 256 each.
    attack += 3 * model + static_cast<double>(s.splits.attacker_validation) * act +
              2 * static_cast<double>(a.batch_size) * sample;
    if (a.type == "generative")
      attack += 4 * kFloat * 2 * 256 * static_cast<double>(s.model.input.numel());
    if (a.knowledge.kind == KnowledgeKind::surrogate) attack += 3 * model;
  }
  t.push_back({"streams", "arrivals queued between ticks", queued * (sample + 16)});
  if (s.guard.make_guard) {
    const int64_t features = s.model.hidden.empty() ? s.model.num_classes : s.model.hidden.back();
    // Queued arrivals carry their features too when a stage compares them.
    const auto guard = s.guard.make_guard();
    if (guard->needs().features)
      t.push_back({"guard", "the features of the queued arrivals",
                   queued * static_cast<double>(features) * kFloat});
    if (const int64_t bank = guard->memory_bytes(s.model.input.numel(), features))
      t.push_back({"guard", "the guard stages' banks of images and features",
                   static_cast<double>(bank)});
  }
  if (s.sanitize.make_chain) {
    const int64_t features = s.model.hidden.empty() ? s.model.num_classes : s.model.hidden.back();
    // At a retrain: the buffer's features, the stages' per-class copies of them, and the
    // buffer's compacted copy while removed samples leave it; plus each stage's trusted bank.
    const double buffered = static_cast<double>(r.buffer_capacity);
    t.push_back({"sanitize", "the retraining window's features and compacted copy",
                 buffered * (2.0 * static_cast<double>(features) * kFloat + sample)});
    const int64_t banks = s.sanitize.make_chain()->memory_bytes(s.model.input.numel(), features);
    t.push_back({"sanitize", "the sanitize stages' banks of trusted images and features",
                 static_cast<double>(banks)});
    // The per-source gate trains each candidate on a copy of part of the window.
    if (std::find(s.sanitize.types.begin(), s.sanitize.types.end(), "per-source") !=
        s.sanitize.types.end())
      t.push_back(
          {"sanitize", "the per-source gate's copy of the window to train on", buffered * sample});
  }
  if (attack > 0) t.push_back({"attackers", "the attackers' models and batches", attack});
  return t;
}

}  // namespace

std::string format_bytes(double bytes) {
  const char* units[] = {"B", "kB", "MB", "GB", "TB", "PB", "EB"};
  size_t unit = 0;
  while (bytes >= 999.95 && unit + 1 < std::size(units)) {
    bytes /= 1000;
    ++unit;
  }
  return fmt::format("{:.{}f} {}", bytes, unit == 0 ? 0 : 1, units[unit]);
}

MemoryEstimate estimate_memory(const Scenario& s) {
  const double sample = static_cast<double>(s.model.input.numel()) * kFloat + 8;  // + label
  const double params = parameter_count(s.model);
  const auto sizes = data_sizes(s);
  // Loading: the files as floats and their split copies, before any model exists.
  const double loading = 2 * static_cast<double>(sizes.train + sizes.test) * sample;
  auto terms = simulation_terms(s, sample, params);
  double simulation = 0;
  for (const auto& t : terms) simulation += t.bytes;
  if (loading > simulation)
    terms = {{"data", "the data set's files and their split copies", loading}};
  terms.push_back({"", "the process (libraries)", kBaseBytes});
  std::sort(terms.begin(), terms.end(),
            [](const MemoryTerm& a, const MemoryTerm& b) { return a.bytes > b.bytes; });
  MemoryEstimate e;
  for (const auto& t : terms) e.total += t.bytes;
  e.terms = std::move(terms);
  return e;
}

double memory_limit(std::string& source) {
  if (const char* env = std::getenv("POISONSIM_MEMORY_LIMIT"); env && *env) {
    char* end = nullptr;
    double value = std::strtod(env, &end);
    const std::string suffix(end);
    const std::string units = "KMGT";
    const auto unit = suffix.size() == 1 ? units.find(suffix[0]) : std::string::npos;
    if (end == env || !(value > 0) || (!suffix.empty() && unit == std::string::npos))
      throw UserError("POISONSIM_MEMORY_LIMIT",
                      fmt::format("'{}' is not a size: expected bytes, e.g. 8G or 512M", env));
    if (unit != std::string::npos) value *= std::pow(1024.0, static_cast<double>(unit + 1));
    source = "POISONSIM_MEMORY_LIMIT";
    return value;
  }
  double limit =
      static_cast<double>(sysconf(_SC_PHYS_PAGES)) * static_cast<double>(sysconf(_SC_PAGESIZE));
  source = "physical memory";
  std::ifstream cgroup("/sys/fs/cgroup/memory.max");
  double cgroup_max = 0;
  if (cgroup >> cgroup_max && cgroup_max > 0 && cgroup_max < limit) {
    limit = cgroup_max;
    source = "the cgroup's memory.max";
  }
  return limit;
}

void check_run_limits(const Scenario& s) {
  // Arrivals. Each gap advances the clock: rates are at most 1e6 (gaps >= 1e-6 s) and times at
  // most the duration, 1e9 s, where a double's step is 1.2e-7 s. But all of them together must
  // stay countable: 1e6 batches/s for 1e9 s would never end.
  double arrivals = 0;
  std::string busiest;
  double most = -1;
  auto count = [&](const std::string& key, const ArrivalSpec& arrival, double start,
                   const std::optional<double>& stop, std::optional<int64_t> budget,
                   int64_t batch) {
    const double end = end_of(start, stop, s.duration);
    double n = arrival.rate * (end - start);
    if (budget) n = std::min(n, std::ceil(static_cast<double>(*budget) / batch));
    arrivals += n;
    if (n > most) {
      most = n;
      busiest = key;
    }
  };
  for (size_t i = 0; i < s.streams.size(); ++i) {
    const auto& st = s.streams[i];
    count(fmt::format("streams.{}", i), st.arrival, st.start, st.stop, std::nullopt, st.batch_size);
  }
  for (size_t i = 0; i < s.attackers.size(); ++i) {
    const auto& a = s.attackers[i];
    count(fmt::format("attackers.{}", i), a.arrival, a.start, a.stop, a.budget, a.batch_size);
  }
  if (arrivals > kMaxArrivals)
    throw UserError(s.file + ": " + busiest + ".arrival.rate",
                    fmt::format("the run would simulate about {:.3g} arrivals, more than {:.0e}: "
                                "lower the rates or the duration",
                                arrivals, kMaxArrivals));

  const auto estimate = estimate_memory(s);
  std::string source;
  const double limit = memory_limit(source);
  if (estimate.total <= limit) return;
  std::string parts;
  for (size_t i = 0; i < std::min<size_t>(3, estimate.terms.size()); ++i) {
    const auto& t = estimate.terms[i];
    parts += fmt::format("{}{} {}{}", i ? ", " : "", t.what, format_bytes(t.bytes),
                         t.key.empty() ? "" : " (" + t.key + ")");
  }
  const auto named = std::find_if(estimate.terms.begin(), estimate.terms.end(),
                                  [](const MemoryTerm& t) { return !t.key.empty(); });
  throw UserError(s.file + ": " + named->key,
                  fmt::format("the run needs about {} of memory, more than the limit of {} "
                              "({}): {}",
                              format_bytes(estimate.total), format_bytes(limit),
                              source == "POISONSIM_MEMORY_LIMIT"
                                  ? source
                                  : source + "; POISONSIM_MEMORY_LIMIT sets another",
                              parts));
}

}  // namespace poisonsim
