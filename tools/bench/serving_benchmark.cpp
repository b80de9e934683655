#include "tools/bench/serving_benchmark.h"

#include <algorithm>
#include <chrono>
#include <functional>
#include <random>

#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <nlohmann/json.hpp>

#include "pipeline/model/compute_threads.h"
#include "pipeline/model/training.h"
#include "pipeline/serving/serving_engine.h"
#include "sim/error.h"

namespace poisonsim::bench {
namespace {

using Clock = std::chrono::steady_clock;

// Calls `score` (one batch) until `seconds` have passed; returns samples per second.
double samples_per_second(const std::function<void()>& score, int64_t batch, double seconds) {
  const auto start = Clock::now();
  int64_t calls = 0;
  double elapsed = 0;
  do {
    score();
    ++calls;
    elapsed = std::chrono::duration<double>(Clock::now() - start).count();
  } while (elapsed < seconds);
  return static_cast<double>(calls * batch) / elapsed;
}

double median(std::vector<double> values) {
  std::sort(values.begin(), values.end());
  const size_t mid = values.size() / 2;
  return values.size() % 2 ? values[mid] : (values[mid - 1] + values[mid]) / 2;
}

Dataset random_batch(const ModelSpec& spec, int64_t n, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<float> pixel(0.0f, 1.0f);
  Dataset data;
  data.name = "benchmark";
  data.shape = spec.input;
  data.num_classes = spec.num_classes;
  data.pixels.resize(static_cast<size_t>(n * spec.input.numel()));
  for (auto& p : data.pixels) p = pixel(rng);
  for (int64_t i = 0; i < n; ++i) data.labels.push_back(i % spec.num_classes);
  return data;
}

struct Backend {
  std::string name;
  std::function<void()> score;
  std::vector<double> rounds;
};

ServingFigures measure(const ModelSpec& spec, const ServingBenchmarkOptions& o) {
  const auto model = TargetModel::create(spec, o.seed);
  const auto data = random_batch(spec, o.batch, o.seed);
  const float* images = data.pixels.data();
  const int64_t* labels = data.labels.data();

  // Both sides do the same work per batch: logits, per-sample loss and prediction.
  std::vector<Backend> backends;
  backends.push_back({"LibTorch", [&] { score_samples(model, data); }, {}});
  ServingEngine f32(spec);
  f32.load_weights(model.weights());
  backends.push_back({"oneDNN f32", [&] { f32.score(images, labels, o.batch); }, {}});
  std::optional<ServingEngine> bf16;
  if (ServingEngine::bf16_supported()) {
    bf16.emplace(spec, ServingPrecision::bf16);
    bf16->load_weights(model.weights());
    backends.push_back({"oneDNN bf16", [&] { bf16->score(images, labels, o.batch); }, {}});
  }

  // Warm-up builds the primitives and faults in the buffers; it is not measured.
  const double round_seconds = o.seconds / o.rounds;
  for (auto& b : backends) samples_per_second(b.score, o.batch, std::min(0.2, round_seconds));
  // The backends take turns, starting from a different one each round, so that slow drifts
  // (frequency, other load) spread over all of them instead of biasing one.
  for (int r = 0; r < o.rounds; ++r) {
    for (size_t i = 0; i < backends.size(); ++i) {
      auto& b = backends[(i + r) % backends.size()];
      b.rounds.push_back(samples_per_second(b.score, o.batch, round_seconds));
    }
  }
  ServingFigures figures;
  figures.model = spec.describe();
  figures.libtorch = median(backends[0].rounds);
  figures.onednn_f32 = median(backends[1].rounds);
  if (bf16) figures.onednn_bf16 = median(backends[2].rounds);
  return figures;
}

}  // namespace

void ServingBenchmarkOptions::validate() const {
  if (batch < 1 || batch > 65536)
    throw UserError("--batch", fmt::format("{}: expected 1 to 65536", batch));
  if (!(seconds > 0) || seconds > 3600)
    throw UserError("--seconds", fmt::format("{}: expected a value in (0, 3600]", seconds));
  if (rounds < 1 || rounds > 1000)
    throw UserError("--rounds", fmt::format("{}: expected 1 to 1000", rounds));
}

std::optional<double> ServingFigures::bf16_ratio() const {
  if (!onednn_bf16) return std::nullopt;
  return *onednn_bf16 / libtorch;
}

std::vector<ModelSpec> serving_benchmark_models() {
  ModelSpec mlp;  // the defaults: 1x28x28, hidden [256], 10 classes
  ModelSpec cnn;
  cnn.kind = ModelKind::cnn;
  cnn.input = {3, 32, 32};
  cnn.conv_channels = {32, 64};
  cnn.hidden = {256};
  return {mlp, cnn};
}

std::vector<ServingFigures> run_serving_benchmark(const ServingBenchmarkOptions& options) {
  options.validate();
  std::vector<ServingFigures> figures;
  for (const auto& spec : serving_benchmark_models()) {
    spdlog::info("measuring {} at batch {} ({:.1f} s per backend)", spec.describe(), options.batch,
                 options.seconds);
    figures.push_back(measure(spec, options));
  }
  return figures;
}

std::string format_serving_table(const std::vector<ServingFigures>& figures,
                                 const ServingBenchmarkOptions& options) {
  size_t width = 5;
  for (const auto& f : figures) width = std::max(width, f.model.size());
  auto out = fmt::format(
      "serving throughput in samples/s (logits, loss and prediction per sample), batch {}, "
      "median of {} rounds\n{}\n\n",
      options.batch, options.rounds, describe_blas());
  out += fmt::format("{:<{}}  {:>12}  {:>12}  {:>12}  {:>13}  {:>14}\n", "model", width, "LibTorch",
                     "oneDNN f32", "oneDNN bf16", "f32/LibTorch", "bf16/LibTorch");
  for (const auto& f : figures) {
    const auto bf16 = f.onednn_bf16 ? fmt::format("{:.0f}", *f.onednn_bf16) : "n/a";
    const auto bf16_ratio = f.bf16_ratio() ? fmt::format("{:.2f}x", *f.bf16_ratio()) : "n/a";
    out += fmt::format("{:<{}}  {:>12.0f}  {:>12.0f}  {:>12}  {:>13}  {:>14}\n", f.model, width,
                       f.libtorch, f.onednn_f32, bf16, fmt::format("{:.2f}x", f.f32_ratio()),
                       bf16_ratio);
  }
  return out;
}

std::string serving_json(const std::vector<ServingFigures>& figures,
                         const ServingBenchmarkOptions& options) {
  auto optional_number = [](std::optional<double> v) {
    return v ? nlohmann::json(*v) : nlohmann::json();
  };
  nlohmann::json models = nlohmann::json::array();
  for (const auto& f : figures)
    models.push_back({{"model", f.model},
                      {"libtorch", f.libtorch},
                      {"onednn_f32", f.onednn_f32},
                      {"onednn_bf16", optional_number(f.onednn_bf16)},
                      {"f32_ratio", f.f32_ratio()},
                      {"bf16_ratio", optional_number(f.bf16_ratio())}});
  const nlohmann::json out = {
      {"benchmark", "serving"},   {"batch", options.batch}, {"seconds", options.seconds},
      {"rounds", options.rounds}, {"unit", "samples/s"},    {"threads", describe_blas()},
      {"models", models}};
  return out.dump(2) + "\n";
}

}  // namespace poisonsim::bench
