#include "tools/bench/defense_benchmark.h"

#include <chrono>
#include <functional>
#include <limits>
#include <memory>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "pipeline/model/training.h"
#include "pipeline/runtime/compute_threads.h"
#include "pipeline/scenario/scenario.h"
#include "pipeline/simulation/deployment.h"
#include "pipeline/simulation/guard_context.h"
#include "pipeline/simulation/ingestion.h"
#include "pipeline/simulation/run_data.h"
#include "sim/util/error.h"
#include "tools/bench/bench_median.h"
#include "tools/common/builtin_plugins.h"

namespace poisonsim::bench {
namespace {

double seconds_of(const std::function<void()>& work) {
  const auto start = std::chrono::steady_clock::now();
  work();
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

// The window as the ingestion graph hands it to the guard: scored per arrival batch, every
// tenth sample marked poison for the oracle (whose cost does not depend on which).
struct Window {
  Dataset data;
  SampleScores scores;
  std::vector<ScoredSample> samples;
  bool yes = true, no = false;
};

// As the ingestion graph scores arrivals: arrival batches in parallel, one thread each.
void score(const Deployment& deployment, Window& w, int64_t batch) {
  w.scores = deployment.score_parallel(w.data, batch, true);
}

void make_samples(Window& w, int64_t feature_dim) {
  w.samples = scored_samples(w.data, w.scores, feature_dim, 0.0);
  for (size_t i = 0; i < w.samples.size(); ++i)
    w.samples[i].ground_truth = i % 10 == 0 ? &w.yes : &w.no;
}

// Each sample's verdict (the chain's rejecting stage, or its accept mark) into `by`.
void judge(GuardChain& guard, const Window& w, int64_t batch, std::vector<int8_t>& by) {
  by.resize(w.samples.size());
  for (size_t first = 0; first < w.samples.size(); first += static_cast<size_t>(batch)) {
    const size_t n = std::min(static_cast<size_t>(batch), w.samples.size() - first);
    guard.judge_stages(w.samples.data() + first, n, by.data() + first);
  }
}

// A window sanitizer's work at a retrain: the window's features, then every stage on it.
void sanitize(SanitizerChain& chain, const GuardContext& context, const Window& w) {
  const auto features = context.features(w.data);
  std::vector<int8_t> removed_by;
  chain.run(w.data.labels, features, context.feature_dim(), removed_by);
}

double rate(int64_t samples, const std::vector<double>& seconds) {
  const double m = median(seconds);
  return m > 0 ? static_cast<double>(samples) / m : 0;
}

}  // namespace

void DefenseBenchmarkOptions::validate() const {
  if (window < 1) throw UserError("--window", "expected at least 1 sample");
  if (batch < 1) throw UserError("--batch", "expected at least 1 sample");
  if (rounds < 1) throw UserError("--rounds", "expected at least 1 round");
  if (stages.empty()) throw UserError("--stages", "expected at least one stage");
}

DefenseFigures run_defense_benchmark(const DefenseBenchmarkOptions& options) {
  options.validate();
  const Scenario s = load_scenario(options.scenario, options.overrides, cli::builtin_plugins());
  if (s.model.kind == ModelKind::torchscript)
    throw UserError(options.scenario + ": model.kind", "bench defenses needs an mlp or cnn target");
  // Each stage as the scenario's only guard: parsed and checked as a run would.
  std::vector<Scenario> stage_scenarios;
  for (const auto& stage : options.stages) {
    auto overrides = options.overrides;
    overrides.push_back("guard=" + stage);
    stage_scenarios.push_back(load_scenario(options.scenario, overrides, cli::builtin_plugins()));
  }
  std::vector<Scenario> sanitizer_scenarios;
  for (const auto& stage : options.sanitizers) {
    auto overrides = options.overrides;
    overrides.push_back("sanitize=[" + stage + "]");
    sanitizer_scenarios.push_back(
        load_scenario(options.scenario, overrides, cli::builtin_plugins()));
  }
  spdlog::info("bench defenses: loading the data and the pretrained model of {}", options.scenario);
  const RunData data = load_run_data(s);
  Deployment deployment(initial_model(s, data), 0);
  set_torch_threads(static_cast<int>(s.train_threads));
  const DeploymentGuardContext context(deployment, data.pretrain, s.seed);

  DefenseFigures f;
  f.scenario = options.scenario;
  f.model = s.model.describe();
  f.window = options.window;
  f.batch = options.batch;
  f.feature_dim = deployment.feature_dim();
  Window w;
  std::vector<size_t> first(static_cast<size_t>(
      std::min<int64_t>(options.window, static_cast<int64_t>(data.stream_pool.size()))));
  for (size_t i = 0; i < first.size(); ++i) first[i] = i;
  w.data = data.stream_pool.subset(first, "window");
  f.window = static_cast<int64_t>(w.data.size());
  score(deployment, w, options.batch);
  make_samples(w, f.feature_dim);
  for (size_t i = 0; i < options.stages.size(); ++i)
    f.stages.push_back(
        {options.stages[i],
         {},
         {},
         stage_scenarios[i].guard.make_guard()->memory_bytes(s.model.input.numel(), f.feature_dim),
         {},
         0});
  for (size_t i = 0; i < options.sanitizers.size(); ++i)
    f.sanitizers.push_back({options.sanitizers[i],
                            {},
                            {},
                            sanitizer_scenarios[i].sanitize.make_chain()->memory_bytes(
                                s.model.input.numel(), f.feature_dim),
                            {},
                            0});

  TrainOptions train = s.retrain.train;
  for (int round = 0; round < options.rounds; ++round) {
    // Rotate the order each round, so no stage always follows the retrain.
    const size_t guards = options.stages.size();
    const size_t parts = guards + options.sanitizers.size() + 2;
    for (size_t turn = 0; turn < parts; ++turn) {
      const size_t part = (turn + static_cast<size_t>(round)) % parts;
      if (part == 0) {
        train.seed = static_cast<uint64_t>(round);
        f.retrain_seconds.push_back(
            seconds_of([&] { train_copy(deployment.model(), w.data, train); }));
      } else if (part == 1) {
        f.scoring_seconds.push_back(seconds_of([&] { score(deployment, w, options.batch); }));
        // The samples point into the scores just replaced: point them at the new ones.
        make_samples(w, f.feature_dim);
      } else if (part - 2 >= guards) {
        auto& stage = f.sanitizers[part - 2 - guards];
        auto chain = sanitizer_scenarios[part - 2 - guards].sanitize.make_chain();
        chain->attach(context);
        stage.window_seconds.push_back(seconds_of([&] { sanitize(*chain, context, w); }));
        stage.search_seconds.push_back(seconds_of([&] { sanitize(*chain, context, w); }));
      } else {
        auto& stage = f.stages[part - 2];
        auto guard = stage_scenarios[part - 2].guard.make_guard();
        guard->attach(context);
        stage.window_seconds.push_back(
            seconds_of([&] { judge(*guard, w, options.batch, stage.verdicts); }));
        stage.search_seconds.push_back(
            seconds_of([&] { judge(*guard, w, options.batch, stage.verdicts); }));
      }
    }
    spdlog::info("bench defenses: round {}/{}: retraining {:.3f} s", round + 1, options.rounds,
                 f.retrain_seconds.back());
  }
  for (auto& stage : f.stages) {
    size_t same = 0;
    for (size_t i = 0; i < stage.verdicts.size(); ++i)
      same += stage.verdicts[i] == f.stages.front().verdicts[i];
    stage.agreement = stage.verdicts.empty()
                          ? 0
                          : static_cast<double>(same) / static_cast<double>(stage.verdicts.size());
  }
  return f;
}

namespace {

// Arrival batches per window: a guard is called once per batch, the last one possibly short.
int64_t batches_per_window(const DefenseFigures& f) {
  return f.batch > 0 ? (f.window + f.batch - 1) / f.batch : 1;
}

// A stage's median time with the bank ready against the first stage's of its list.
double ratio_to_first(const StageFigures& s, const std::vector<StageFigures>& list) {
  const double first = median(list.front().search_seconds);
  return first > 0 ? median(s.search_seconds) / first : std::numeric_limits<double>::quiet_NaN();
}

}  // namespace

std::string format_defense_table(const DefenseFigures& f) {
  const double retrain = median(f.retrain_seconds);
  std::string out = fmt::format(
      "{}: a window of {} samples judged in batches of {} ({} features); medians of {} rounds "
      "taking turns\nretraining on the window {:.3f} s; scoring it with features {:.3f} s "
      "({:.0f} samples/s)\n\n",
      f.model, f.window, f.batch, f.feature_dim, f.retrain_seconds.size(), retrain,
      median(f.scoring_seconds), rate(f.window, f.scoring_seconds));
  out += fmt::format("{:<40} {:>10} {:>12} {:>12} {:>13} {:>10} {:>11} {:>9} {:>8}\n", "stage",
                     "window s", "/ retrain", "samples/s", "bank ready/s", "bank MB", "us/call",
                     "x first", "agree %");
  const auto row = [&](const std::string& name, const StageFigures& s,
                       const std::vector<StageFigures>& list, int64_t calls) {
    const auto agree =
        s.verdicts.empty() ? std::string("-") : fmt::format("{:.2f}", 100 * s.agreement);
    return fmt::format(
        "{:<40} {:>10.4f} {:>12.3f} {:>12.0f} {:>13.0f} {:>10.1f} {:>11.2f} {:>9.2f} {:>8}\n", name,
        median(s.window_seconds), median(s.window_seconds) / retrain,
        rate(f.window, s.window_seconds), rate(f.window, s.search_seconds),
        static_cast<double>(s.bank_bytes) / 1e6,
        median(s.search_seconds) / static_cast<double>(calls) * 1e6, ratio_to_first(s, list),
        agree);
  };
  for (const auto& s : f.stages) out += row(s.stage, s, f.stages, batches_per_window(f));
  for (const auto& s : f.sanitizers) out += row("sanitize " + s.stage, s, f.sanitizers, 1);
  out +=
      "\nwindow s: one window, bank seeding and featurising included (as after each deploy); "
      "bank ready/s: the same window again with the bank prepared (the search alone); a "
      "sanitizer's figures include featurising the window, which it does at every retrain; "
      "us/call: microseconds per call with the bank ready (a guard: per arrival batch, a "
      "sanitizer: per "
      "window); x first: the same against the first stage of its list (list a C++ rule first and "
      "its Python version after it to measure the Python stage's overhead); agree %: a guard's "
      "verdicts on the window equal to the first guard's (list the exact k-NN first and an "
      "approximate index after it)\n";
  return out;
}

nlohmann::ordered_json defense_json(const DefenseFigures& f) {
  const auto figures = [&f](const std::vector<StageFigures>& list, int64_t calls) {
    nlohmann::ordered_json out = nlohmann::ordered_json::array();
    for (const auto& s : list) {
      out.push_back(
          {{"stage", s.stage},
           {"window_seconds", s.window_seconds},
           {"search_seconds", s.search_seconds},
           {"median_window_seconds", median(s.window_seconds)},
           {"ratio_to_retraining", median(s.window_seconds) / median(f.retrain_seconds)},
           {"samples_per_second", rate(f.window, s.window_seconds)},
           {"search_samples_per_second", rate(f.window, s.search_seconds)},
           {"bank_bytes", s.bank_bytes},
           {"search_seconds_per_call", median(s.search_seconds) / static_cast<double>(calls)},
           {"search_ratio_to_first", ratio_to_first(s, list)}});
      if (!s.verdicts.empty()) out.back()["verdict_agreement_with_first"] = s.agreement;
    }
    return out;
  };
  return {{"scenario", f.scenario},
          {"model", f.model},
          {"window", f.window},
          {"batch", f.batch},
          {"feature_dim", f.feature_dim},
          {"retrain_seconds", f.retrain_seconds},
          {"scoring_seconds", f.scoring_seconds},
          {"stages", figures(f.stages, batches_per_window(f))},
          {"sanitizers", figures(f.sanitizers, 1)}};
}

}  // namespace poisonsim::bench
