#include "tools/bench/attack_benchmark.h"

#include <cctype>
#include <filesystem>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "pipeline/trace/poison_set_file.h"
#include "sim/util/atomic_output.h"
#include "sim/util/error.h"

namespace poisonsim::bench {

std::string file_stem(const std::string& label) {
  std::string stem;
  for (char c : label) {
    const bool keep = std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_';
    if (keep)
      stem += c;
    else if (!stem.empty() && stem.back() != '-')
      stem += '-';
  }
  while (!stem.empty() && stem.back() == '-') stem.pop_back();
  return stem;
}

namespace {

AttackBenchmarkRow measure(AttackSession& session, const std::string& label,
                           const AttackRequest& request, const AttackBenchmarkOptions& options) {
  spdlog::info("bench attacks: {} (n = {})", label, request.n);
  const AttackRun run = session.generate(request);
  AttackBenchmarkRow row;
  row.label = label;
  row.method = request.method;
  row.n = static_cast<int64_t>(run.poison.size());
  if (run.direct) {
    row.engine = to_string(run.direct->engine);
    row.group_size = run.group_size;
  }
  row.seconds = run.seconds;
  row.samples_per_second = run.samples_per_second();
  row.effect = session.measure(run, options.retrain_seeds, options.mixed_ratio);
  row.figures = attack_figures(run, row.effect);
  row.figures["label"] = label;
  if (!options.poison_dir.empty()) {
    const auto path = std::filesystem::path(options.poison_dir) / (file_stem(label) + ".h5");
    // Replaced only once written in full (a benchmark's directory is its own to refresh).
    AtomicOutput poison_file(path.string(), AtomicOutput::Existing::replace);
    write_poison_set(poison_file.temporary_path(),
                     {request.method, run.poison, run.seeds, row.figures.dump()});
    poison_file.commit();
    row.figures["poison_file"] = path.string();
  }
  spdlog::info("  {:.1f} samples/s, accuracy after poison-alone retraining {:.4f}",
               row.samples_per_second, row.effect.accuracy_after.mean);
  return row;
}

const AttackBenchmarkRow* find(const std::vector<AttackBenchmarkRow>& rows,
                               const std::string& label) {
  for (const auto& row : rows)
    if (row.label == label) return &row;
  return nullptr;
}

std::string direct_label(int64_t group, const std::string& engine) {
  return fmt::format("direct g={} {}", group, engine);
}

// The engines that run on this target: factored only where it applies (an mlp target).
std::vector<std::string> engines_for(const AttackBenchmarkOptions& options, const ModelSpec& spec,
                                     std::string* note) {
  std::vector<std::string> engines;
  for (const auto& engine : options.engines) {
    DirectOptions direct;
    direct.engine = parse_direct_engine(engine, "--engines");
    if (direct.engine == DirectEngine::factored && !factored_engine_applies(direct, spec)) {
      *note = fmt::format(
          "the factored engine does not apply to the {} target; its direct rows "
          "are autograd only",
          spec.describe());
      continue;
    }
    engines.push_back(engine);
  }
  return engines;
}

}  // namespace

std::vector<AttackBenchmarkRow> run_attack_benchmark(const AttackBenchmarkOptions& options) {
  if (options.n < 2) throw UserError("--n", "expected at least 2 poisoned samples");
  if (!options.poison_dir.empty()) {
    std::error_code error;
    std::filesystem::create_directories(options.poison_dir, error);
    if (error || !std::filesystem::is_directory(options.poison_dir))
      throw UserError(options.poison_dir, "cannot create the directory for the poison sets");
  }
  if (options.engines.empty()) throw UserError("--engines", "expected at least one engine");
  AttackSession session(options.scenario, options.overrides);
  std::string note;
  const auto engines = engines_for(options, session.model().spec(), &note);
  if (!note.empty()) spdlog::warn("bench attacks: {}", note);
  std::vector<AttackBenchmarkRow> rows;
  // Engines alternate within a group size, so a load on the shared machine hits both alike.
  const auto with = [](std::vector<std::string> params, const std::vector<std::string>& more) {
    params.insert(params.end(), more.begin(), more.end());
    return params;
  };
  for (int64_t group : options.group_sizes)
    for (const auto& engine : engines)
      rows.push_back(measure(
          session, direct_label(group, engine),
          {"direct", options.n,
           with({fmt::format("group_size={}", group), "engine=" + engine}, options.direct_params)},
          options));
  for (const char* rule : {"unrolled", "first-order"})
    rows.push_back(measure(
        session, fmt::format("generative {}", rule),
        {"generative", options.n, with({fmt::format("rule={}", rule)}, options.generative_params)},
        options));
  // Beyond the paper: the unrolled rule with the diversity hinge, which keeps G from collapsing
  // (docs/attacks.md, "Generator diversity"; the weight is the one measured there).
  rows.push_back(measure(session, "generative diverse",
                         {"generative", options.n,
                          with({"rule=unrolled", "diversity_weight=5"}, options.generative_params)},
                         options));
  // Noise at the perturbation size of the (first) direct run, so potency compares at equal L2.
  const double l2 = rows.front().effect.mean_l2_from_seed;
  rows.push_back(measure(session, fmt::format("noise l2={:.2f}", l2),
                         {"noise", options.n, {fmt::format("l2={}", l2)}}, options));
  rows.push_back(measure(session, "label-flip", {"label-flip", options.n, {}}, options));
  return rows;
}

namespace {

// The guard column: the share of a set the scenario's guard rejects, "-" without a guard.
std::string rejected_cell(const std::optional<GuardDetection>& d, bool clean) {
  if (!d) return "-";
  return fmt::format("{:.1f}%", 100 * (clean ? d->clean_rejected : d->poison_rejected));
}

}  // namespace

std::string format_attack_table(const std::vector<AttackBenchmarkRow>& rows,
                                const AttackBenchmarkOptions& options) {
  std::string out = fmt::format(
      "poison generation and potency, n = {} per method from the same clean seeds; accuracy is "
      "clean test accuracy after one retraining (mean ± half-width of the 95% confidence "
      "interval over {} shuffles, Student t)\n",
      options.n, options.retrain_seeds);
  const auto* guarded =
      rows.empty() || !rows.front().effect.detection ? nullptr : &*rows.front().effect.detection;
  if (guarded)
    out += fmt::format(
        "rejected: share the scenario's {} guard (threshold {:.3g}) rejects on the deployed "
        "model\n",
        guarded->guard, guarded->threshold);
  out += "\n";
  out += fmt::format("{:<24} {:>9} {:>10} {:>17} {:>17} {:>9} {:>7} {:>8} {:>9}\n", "method",
                     "seconds", "samples/s", "poison alone",
                     fmt::format("+{}x clean", options.mixed_ratio), "loss", "L2", "spread",
                     "rejected");
  for (const auto& r : rows) {
    const auto& e = r.effect;
    out += fmt::format("{:<24} {:>9.2f} {:>10.1f} {:>17} {:>17} {:>9.3f} {:>7.3f} {:>8.3f} {:>9}\n",
                       r.label, r.seconds, r.samples_per_second, format_mean_ci(e.accuracy_after),
                       format_mean_ci(e.accuracy_mixed), e.mean_loss_poison, e.mean_l2_from_seed,
                       e.mean_pairwise_l2, rejected_cell(e.detection, false));
  }
  if (!rows.empty()) {
    const auto& e = rows.front().effect;
    out += fmt::format("{:<24} {:>9} {:>10} {:>17} {:>17} {:>9.3f} {:>7} {:>8.3f} {:>9}\n",
                       "clean seeds only", "", "", format_mean_ci(e.accuracy_clean_only),
                       format_mean_ci(e.accuracy_clean_mixed), e.mean_loss_clean, "",
                       e.seed_pairwise_l2, rejected_cell(e.detection, true));
    out += fmt::format("accuracy before retraining: {:.4f}\n", e.accuracy_before);
  }
  out += "\ngeneration-rate ratios (generator training included):\n";
  for (const char* gen : {"generative unrolled", "generative first-order"})
    for (const auto& engine : options.engines)
      for (int64_t group : options.group_sizes) {
        const auto* g = find(rows, gen);
        const auto* d = find(rows, direct_label(group, engine));
        if (g && d)
          out += fmt::format("  {} / {}: {:.1f}x\n", gen, d->label,
                             g->samples_per_second / d->samples_per_second);
      }
  bool header = false;
  for (int64_t group : options.group_sizes) {
    const auto* fast = find(rows, direct_label(group, "factored"));
    const auto* slow = find(rows, direct_label(group, "autograd"));
    if (!fast || !slow) continue;
    if (!header) out += "direct method, factored engine / autograd engine (same poison):\n";
    header = true;
    out += fmt::format("  g={}: {:.1f}x\n", group,
                       fast->samples_per_second / slow->samples_per_second);
  }
  return out;
}

nlohmann::json attack_benchmark_json(const std::vector<AttackBenchmarkRow>& rows,
                                     const AttackBenchmarkOptions& options) {
  nlohmann::json methods = nlohmann::json::array();
  for (const auto& r : rows) methods.push_back(r.figures);
  return {{"benchmark", "attacks"},
          {"n", options.n},
          {"engines", options.engines},
          {"retrain_seeds", options.retrain_seeds},
          {"mixed_ratio", options.mixed_ratio},
          {"methods", methods}};
}

}  // namespace poisonsim::bench
