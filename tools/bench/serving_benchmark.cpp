#include "tools/bench/serving_benchmark.h"

#include "tools/bench/bench_median.h"

#include <algorithm>
#include <memory>
#include <optional>
#include <random>

#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <nlohmann/json.hpp>

#include "pipeline/runtime/compute_threads.h"
#include "pipeline/model/training.h"
#include "pipeline/serving/serving_engine.h"
#include "sim/util/error.h"
#include "tools/bench/measured_rate.h"
#include "tools/bench/peak_gemm.h"

namespace poisonsim::bench {
namespace {

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

// What one model needs to be scored by every backend: its weights in both engines and one
// batch of inputs per batch size.
struct ModelUnderTest {
  ModelUnderTest(const ModelSpec& s, uint64_t seed)
      : spec(s), model(TargetModel::create(s, seed)), f32(s) {
    f32.load_weights(model.weights());
    if (ServingEngine::bf16_supported()) {
      bf16.emplace(s, ServingPrecision::bf16);
      bf16->load_weights(model.weights());
    }
  }
  ModelSpec spec;
  TargetModel model;
  ServingEngine f32;
  std::optional<ServingEngine> bf16;
  std::vector<Dataset> batches;
};

}  // namespace

void ServingBenchmarkOptions::validate() const {
  if (batches.empty()) throw UserError("--batch", "expected at least one batch size");
  for (auto batch : batches)
    if (batch < 1 || batch > 65536)
      throw UserError("--batch", fmt::format("{}: expected 1 to 65536", batch));
  if (!(seconds > 0) || seconds > 3600)
    throw UserError("--seconds", fmt::format("{}: expected a value in (0, 3600]", seconds));
  if (rounds < 1 || rounds > 1000)
    throw UserError("--rounds", fmt::format("{}: expected 1 to 1000", rounds));
  if (peak_size < 64 || peak_size > 16384)
    throw UserError("--peak-size", fmt::format("{}: expected 64 to 16384", peak_size));
}

std::optional<double> ServingFigures::bf16_ratio() const {
  if (!onednn_bf16) return std::nullopt;
  return *onednn_bf16 / libtorch;
}

double ServingFigures::f32_fraction_of_peak(const PeakFigures& peak) const {
  return onednn_f32 * flops_per_sample / peak.f32;
}

std::optional<double> ServingFigures::bf16_fraction_of_peak(const PeakFigures& peak) const {
  if (!onednn_bf16 || !peak.bf16) return std::nullopt;
  return *onednn_bf16 * flops_per_sample / *peak.bf16;
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

ServingResults run_serving_benchmark(const ServingBenchmarkOptions& o) {
  o.validate();
  // Everything measured is set up first, so that all of it can take turns.
  std::vector<Measured> items = peak_measures(o.peak_size);
  const bool has_bf16_peak = items.size() == 2;
  std::vector<std::unique_ptr<ModelUnderTest>> models;
  for (const auto& spec : serving_benchmark_models()) {
    auto& m = *models.emplace_back(std::make_unique<ModelUnderTest>(spec, o.seed));
    m.batches.reserve(o.batches.size());
    for (auto batch : o.batches) {
      // Both sides do the same work per batch: logits, per-sample loss and prediction.
      const auto& data = m.batches.emplace_back(random_batch(spec, batch, o.seed));
      const auto work = static_cast<double>(batch);
      items.push_back({[&m, &data] { score_samples(m.model, data); }, work, {}});
      items.push_back(
          {[&m, &data, batch] { m.f32.score(data.pixels.data(), data.labels.data(), batch); },
           work,
           {}});
      if (m.bf16)
        items.push_back(
            {[&m, &data, batch] { m.bf16->score(data.pixels.data(), data.labels.data(), batch); },
             work,
             {}});
    }
  }

  // Warm-up builds the primitives and faults in the buffers; it is not measured.
  const double round_seconds = o.seconds / o.rounds;
  spdlog::info("measuring {} figures, {} rounds of {:.2f} s each", items.size(), o.rounds,
               round_seconds);
  for (auto& item : items) measure_rate(item, std::min(0.2, round_seconds));
  // Everything takes turns, starting from a different item each round, so that slow drifts
  // (frequency, other load) spread over all figures instead of biasing one.
  for (int r = 0; r < o.rounds; ++r) {
    spdlog::info("round {} of {}", r + 1, o.rounds);
    for (size_t i = 0; i < items.size(); ++i) {
      auto& item = items[(i + static_cast<size_t>(r)) % items.size()];
      item.rates.push_back(measure_rate(item, round_seconds));
    }
  }

  ServingResults results;
  size_t next = 0;
  results.peak.size = o.peak_size;
  results.peak.f32 = median(items[next++].rates);
  if (has_bf16_peak) results.peak.bf16 = median(items[next++].rates);
  for (const auto& m : models) {
    for (auto batch : o.batches) {
      ServingFigures f;
      f.model = m->spec.describe();
      f.batch = batch;
      f.flops_per_sample = forward_flops_per_sample(m->spec);
      f.libtorch = median(items[next++].rates);
      f.onednn_f32 = median(items[next++].rates);
      if (m->bf16) f.onednn_bf16 = median(items[next++].rates);
      results.figures.push_back(f);
    }
  }
  return results;
}

namespace {

std::string percent(std::optional<double> fraction) {
  return fraction ? fmt::format("{:.0f}%", 100 * *fraction) : "n/a";
}
std::string ratio(std::optional<double> value) {
  return value ? fmt::format("{:.2f}x", *value) : "n/a";
}
nlohmann::json optional_number(std::optional<double> v) {
  return v ? nlohmann::json(*v) : nlohmann::json();
}

}  // namespace

std::string format_serving_table(const ServingResults& results,
                                 const ServingBenchmarkOptions& options) {
  const auto& peak = results.peak;
  size_t width = 5;
  for (const auto& f : results.figures) width = std::max(width, f.model.size());
  auto out = fmt::format(
      "serving throughput in samples/s (logits, loss and prediction per sample), median of {} "
      "rounds\n{}\nmeasured peak (oneDNN matmul {}^3): f32 {:.1f} GFLOP/s, bf16 {}\n\n",
      options.rounds, describe_blas(), peak.size, peak.f32 / 1e9,
      peak.bf16 ? fmt::format("{:.1f} GFLOP/s", *peak.bf16 / 1e9) : "n/a");
  out += fmt::format("{:<{}}  {:>6}  {:>10}  {:>10}  {:>11}  {:>8}  {:>9}  {:>11}  {:>12}\n",
                     "model", width, "batch", "LibTorch", "oneDNN f32", "oneDNN bf16", "f32/LT",
                     "bf16/LT", "f32 of peak", "bf16 of peak");
  for (const auto& f : results.figures) {
    const auto bf16 = f.onednn_bf16 ? fmt::format("{:.0f}", *f.onednn_bf16) : "n/a";
    out += fmt::format(
        "{:<{}}  {:>6}  {:>10.0f}  {:>10.0f}  {:>11}  {:>8}  {:>9}  {:>11}  {:>12}\n", f.model,
        width, f.batch, f.libtorch, f.onednn_f32, bf16, ratio(f.f32_ratio()), ratio(f.bf16_ratio()),
        percent(f.f32_fraction_of_peak(peak)), percent(f.bf16_fraction_of_peak(peak)));
  }
  return out;
}

std::string serving_json(const ServingResults& results, const ServingBenchmarkOptions& options) {
  const auto& peak = results.peak;
  nlohmann::json models = nlohmann::json::array();
  for (const auto& f : results.figures)
    models.push_back({{"model", f.model},
                      {"batch", f.batch},
                      {"flops_per_sample", f.flops_per_sample},
                      {"libtorch", f.libtorch},
                      {"onednn_f32", f.onednn_f32},
                      {"onednn_bf16", optional_number(f.onednn_bf16)},
                      {"f32_ratio", f.f32_ratio()},
                      {"bf16_ratio", optional_number(f.bf16_ratio())},
                      {"f32_fraction_of_peak", f.f32_fraction_of_peak(peak)},
                      {"bf16_fraction_of_peak", optional_number(f.bf16_fraction_of_peak(peak))}});
  const nlohmann::json out = {
      {"benchmark", "serving"},
      {"batches", options.batches},
      {"seconds", options.seconds},
      {"rounds", options.rounds},
      {"unit", "samples/s"},
      {"threads", describe_blas()},
      {"peak",
       {{"size", peak.size}, {"f32_flops", peak.f32}, {"bf16_flops", optional_number(peak.bf16)}}},
      {"models", models}};
  return out.dump(2) + "\n";
}

}  // namespace poisonsim::bench
