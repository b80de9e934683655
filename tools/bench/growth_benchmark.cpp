#include "tools/bench/growth_benchmark.h"

#include "tools/bench/bench_median.h"

#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <limits>
#include <optional>
#include <set>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "pipeline/runtime/numeric_runtime.h"
#include "pipeline/simulation/retrain_buffer.h"
#include "pipeline/trace/trace_reader.h"
#include "sim/util/error.h"
#include "tools/bench/training_benchmark.h"
#include "tools/common/builtin_plugins.h"
#include "tools/common/json_number.h"

namespace poisonsim::bench {
namespace {

namespace fs = std::filesystem;

// Stages that cost the same however much data a run handles: the fixed cost.
const std::set<std::string> kFixedStages = {"data loading", "pretraining", "surrogate training"};

template <class Field>
double median_of(const std::vector<GrowthRun>& runs, Field field) {
  std::vector<double> values;
  for (const auto& run : runs) values.push_back(field(run));
  return median(values);
}

GrowthRun read_run(const std::string& trace_path, double wall_seconds, int64_t max_rss_kib) {
  GrowthRun run;
  run.wall_seconds = wall_seconds;
  run.max_rss_kib = max_rss_kib;
  const TraceReader trace(trace_path);
  for (const auto& event : trace.events()) {
    const auto kind = trace_name(event.kind);
    if (kind != "stream-batch" && kind != "poison-batch") continue;
    run.samples += event.size;
    if (kind == "poison-batch") run.poison_samples += event.size;
    run.rejected += event.rejected;
  }
  for (const auto& retrain : trace.retrains())
    run.largest_retrain = std::max(run.largest_retrain, retrain.buffer_size);
  run.trace_sample_rows = trace.rows("samples");
  run.trace_bytes = static_cast<int64_t>(fs::file_size(trace_path));
  const std::string& stage_seconds = trace.metadata().stage_seconds;
  if (stage_seconds.empty())
    throw UserError(trace_path, "the trace has no stage_seconds: the run did not end normally");
  double simulation = 0;
  const auto stages = nlohmann::json::parse(stage_seconds);
  for (const auto& [stage, seconds] : stages.items())
    if (!kFixedStages.count(stage)) simulation += seconds.get<double>();
  run.fixed_seconds = std::max(0.0, wall_seconds - simulation);
  return run;
}

std::vector<double> samples_axis(const GrowthFigures& f) {
  std::vector<double> x;
  for (const auto& s : f.scales) x.push_back(static_cast<double>(s.first().samples));
  return x;
}

}  // namespace

void GrowthBenchmarkOptions::validate() const {
  runs.validate();
  if (scales.size() < 2) throw UserError("--scales", "expected at least two scales to fit");
  std::set<int64_t> seen;
  for (const int64_t k : scales) {
    if (k < 1 || k > 4096) throw UserError("--scales", fmt::format("{}: expected 1 to 4096", k));
    if (!seen.insert(k).second) throw UserError("--scales", fmt::format("{} given twice", k));
  }
}

double GrowthScale::wall_seconds() const {
  return median_of(rounds, [](const GrowthRun& r) { return r.wall_seconds; });
}
double GrowthScale::simulation_seconds() const {
  return median_of(rounds, [](const GrowthRun& r) { return r.simulation_seconds(); });
}
double GrowthScale::fixed_seconds() const {
  return median_of(rounds, [](const GrowthRun& r) { return r.fixed_seconds; });
}
int64_t GrowthScale::max_rss_kib() const {
  int64_t most = 0;
  for (const auto& r : rounds) most = std::max(most, r.max_rss_kib);
  return most;
}

PowerLawFit GrowthFigures::wall_fit() const {
  std::vector<double> y;
  for (const auto& s : scales) y.push_back(s.wall_seconds());
  return fit_power_law(samples_axis(*this), y);
}

PowerLawFit GrowthFigures::simulation_fit() const {
  std::vector<double> y;
  for (const auto& s : scales) y.push_back(s.simulation_seconds());
  return fit_power_law(samples_axis(*this), y);
}

double GrowthFigures::rss_bytes_per_retained_sample() const {
  std::vector<double> x;
  std::vector<double> y;
  for (const auto& s : scales) {
    x.push_back(static_cast<double>(s.first().largest_retrain));
    y.push_back(1024.0 * static_cast<double>(s.max_rss_kib()));
  }
  // No slope when the retraining sets did not grow (e.g. no retrain ran).
  if (std::set<double>(x.begin(), x.end()).size() < 2)
    return std::numeric_limits<double>::quiet_NaN();
  return fit_slope(x, y);
}

std::vector<std::string> growth_overrides(const Scenario& s, int64_t k) {
  std::vector<std::string> out;
  const auto times = static_cast<double>(k);  // rates in 15 digits: 0.3 x 3 is 0.9
  for (size_t i = 0; i < s.streams.size(); ++i)
    out.push_back(
        fmt::format("streams.{}.arrival.rate={:.15g}", i, s.streams[i].arrival.rate * times));
  for (size_t i = 0; i < s.attackers.size(); ++i) {
    const auto& a = s.attackers[i];
    out.push_back(fmt::format("attackers.{}.arrival.rate={:.15g}", i, a.arrival.rate * times));
    if (a.budget) out.push_back(fmt::format("attackers.{}.budget={}", i, *a.budget * k));
  }
  out.push_back(fmt::format("retrain.buffer.capacity={}", s.retrain.buffer_capacity * k));
  if (s.retrain.trigger == RetrainTrigger::buffer)
    out.push_back(fmt::format("retrain.min_samples={}", s.retrain.min_samples * k));
  return out;
}

GrowthFigures run_growth_benchmark(const GrowthBenchmarkOptions& given) {
  given.validate();
  const Scenario scenario =
      load_scenario(given.runs.scenario, given.runs.overrides, cli::builtin_plugins());
  GrowthFigures f;
  f.scenario = given.runs.scenario;
  f.overrides = given.runs.overrides;
  f.guard = scenario.guard.type;
  f.buffer_bytes_per_sample = RetrainBuffer::bytes_per_sample(scenario.model.input);
  std::vector<EnvironmentVariant> variants;
  for (const int64_t k : given.scales) {
    GrowthScale scale;
    scale.scale = k;
    scale.overrides = growth_overrides(scenario, k);
    // Each scale is checked like any scenario before anything runs (e.g. a capacity too large).
    load_scenario(
        given.runs.scenario,
        [&] {
          auto all = given.runs.overrides;
          all.insert(all.end(), scale.overrides.begin(), scale.overrides.end());
          return all;
        }(),
        cli::builtin_plugins());
    variants.push_back({fmt::format("{}x", k), {}, scale.overrides});
    f.scales.push_back(std::move(scale));
  }

  // The runs' traces are read after the benchmark: keep them in a directory of our own unless
  // the user gave one.
  EnvironmentBenchmarkOptions runs = given.runs;
  runs.loads = {0};
  std::optional<fs::path> temporary;
  if (runs.work_dir.empty()) {
    temporary = fs::temp_directory_path() / fmt::format("poisonsim-growth-{}", getpid());
    runs.work_dir = temporary->string();
  }
  f.load_before = load_average();
  const auto measured = run_environment_benchmark(variants, runs);
  f.load_after = load_average();
  for (size_t v = 0; v < variants.size(); ++v) {
    const auto& figures = measured[v];
    f.blas = figures.blas;
    for (int round = 0; round < runs.rounds; ++round) {
      const auto trace = (fs::path(runs.work_dir) / (run_label(0, round, v) + ".h5")).string();
      f.scales[v].rounds.push_back(read_run(trace, figures.seconds[static_cast<size_t>(round)],
                                            figures.max_rss_kib[static_cast<size_t>(round)]));
    }
  }
  std::error_code ec;
  if (temporary) fs::remove_all(*temporary, ec);
  for (size_t v = 1; v < f.scales.size(); ++v)
    if (f.scales[v].first().samples == f.scales[0].first().samples)
      throw UserError(
          given.runs.scenario,
          fmt::format("the runs at scales {} and {} judged the same number of samples "
                      "({}): nothing grows, no exponent to fit",
                      f.scales[0].scale, f.scales[v].scale, f.scales[0].first().samples));
  if (f.scales[0].first().samples == 0)
    throw UserError(given.runs.scenario, "the runs judged no samples: nothing to fit");
  return f;
}

std::string format_growth_table(const GrowthFigures& f) {
  std::string out = fmt::format(
      "growth of {} with stream volume (arrival rates and retraining buffer times the scale), "
      "median of {} rotating rounds; guard: {}\n\n",
      f.scenario, f.scales.front().rounds.size(), f.guard);
  out += fmt::format("{:>5} {:>9} {:>8} {:>7} {:>8} {:>11} {:>9} {:>8} {:>9} {:>9}\n", "scale",
                     "samples", "wall s", "fixed s", "sim s", "samples/s", "peak MiB", "retained",
                     "trace MiB", "B/sample");
  for (const auto& s : f.scales) {
    const auto& r = s.first();
    const double per_row =
        r.trace_sample_rows > 0 ? static_cast<double>(r.trace_bytes) / r.trace_sample_rows : 0;
    out += fmt::format(
        "{:>4}x {:>9} {:>8.2f} {:>7.2f} {:>8.2f} {:>11.0f} {:>9.1f} {:>8} {:>9.2f} "
        "{:>9.1f}\n",
        s.scale, r.samples, s.wall_seconds(), s.fixed_seconds(), s.simulation_seconds(),
        static_cast<double>(r.samples) / s.wall_seconds(),
        static_cast<double>(s.max_rss_kib()) / 1024, r.largest_retrain,
        static_cast<double>(r.trace_bytes) / (1024.0 * 1024.0), per_row);
  }
  const auto wall = f.wall_fit();
  const auto sim = f.simulation_fit();
  out += fmt::format(
      "exponent of wall time in samples judged: {:.3f} end to end (r^2 {:.3f}), {:.3f} without "
      "the fixed cost (r^2 {:.3f}); target <= 1.05\n",
      wall.exponent, wall.r_squared, sim.exponent, sim.r_squared);
  const double slope = f.rss_bytes_per_retained_sample();
  out += fmt::format(
      "memory: the buffer stores {} bytes per sample; peak RSS grows {} bytes per retained "
      "sample (slope over the scales)\n",
      f.buffer_bytes_per_sample, std::isnan(slope) ? "n/a" : fmt::format("{:.0f}", slope));
  out += fmt::format(
      "samples/s = samples judged by the guard per wall second; fixed = process start, data "
      "loading, pretraining (or its cache); sim = wall - fixed\nB/sample = trace bytes per "
      "sample row; machine: {}; load average {:.2f} before, {:.2f} after\n  {}\n",
      cpu_info().describe(), f.load_before, f.load_after, f.blas);
  return out;
}

nlohmann::ordered_json growth_json(const GrowthFigures& f) {
  nlohmann::ordered_json scales = nlohmann::ordered_json::array();
  for (const auto& s : f.scales) {
    nlohmann::ordered_json rounds = nlohmann::ordered_json::array();
    for (const auto& r : s.rounds)
      rounds.push_back({{"wall_seconds", r.wall_seconds},
                        {"fixed_seconds", r.fixed_seconds},
                        {"simulation_seconds", r.simulation_seconds()},
                        {"max_rss_bytes", 1024 * r.max_rss_kib}});
    const auto& r = s.first();
    scales.push_back(
        {{"scale", s.scale},
         {"overrides", s.overrides},
         {"samples", r.samples},
         {"poison_samples", r.poison_samples},
         {"rejected", r.rejected},
         {"wall_seconds", s.wall_seconds()},
         {"fixed_seconds", s.fixed_seconds()},
         {"simulation_seconds", s.simulation_seconds()},
         {"samples_per_wall_second", static_cast<double>(r.samples) / s.wall_seconds()},
         {"samples_per_simulation_second", static_cast<double>(r.samples) / s.simulation_seconds()},
         {"max_rss_bytes", 1024 * s.max_rss_kib()},
         {"largest_retraining_set", r.largest_retrain},
         {"trace_bytes", r.trace_bytes},
         {"trace_sample_rows", r.trace_sample_rows},
         {"trace_bytes_per_sample",
          r.trace_sample_rows > 0 ? static_cast<double>(r.trace_bytes) / r.trace_sample_rows : 0.0},
         {"rounds", rounds}});
  }
  const auto wall = f.wall_fit();
  const auto sim = f.simulation_fit();
  const double slope = f.rss_bytes_per_retained_sample();
  return {{"benchmark", "growth"},
          {"scenario", f.scenario},
          {"overrides", f.overrides},
          {"guard", f.guard},
          {"cpu", cpu_info().model},
          {"blas", f.blas},
          {"load_average", {{"before", f.load_before}, {"after", f.load_after}}},
          {"exponent", wall.exponent},
          {"exponent_r_squared", wall.r_squared},
          {"exponent_without_fixed_cost", sim.exponent},
          {"exponent_without_fixed_cost_r_squared", sim.r_squared},
          {"buffer_bytes_per_sample", f.buffer_bytes_per_sample},
          {"rss_bytes_per_retained_sample", cli::number_or_null(slope)},
          {"scales", scales}};
}

}  // namespace poisonsim::bench
