#include "tools/bench/generator_roofline.h"

#include <algorithm>
#include <functional>

#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <yaml-cpp/yaml.h>

#include "attackers/generative/generative_attack.h"
#include "pipeline/serving/serving_engine.h"
#include "sim/util/error.h"
#include "tools/attack/attack_session.h"
#include "tools/bench/bench_median.h"
#include "tools/bench/measured_rate.h"
#include "tools/bench/peak_gemm.h"

namespace poisonsim::bench {
namespace {

constexpr double kRoofSeconds = 0.3;  // per roof measurement per round

// What one row needs: its session (data and pretrained target) and request.
struct RowSetup {
  AttackSession* session = nullptr;
  AttackRequest request;
  GeneratorRooflineRow row;
};

YAML::Node attacker_settings(const AttackRun& run) { return YAML::Load(run.attacker_yaml); }

std::string percent(double part, double whole) {
  return whole > 0 ? fmt::format("{:.0f}%", 100.0 * part / whole) : "-";
}

}  // namespace

void GeneratorRooflineOptions::validate() const {
  if (n < 1) throw UserError("--n", "expected at least 1 sample");
  if (rounds < 1) throw UserError("--rounds", "expected at least 1 round");
  if (peak_size < 64) throw UserError("--peak-size", "expected at least 64");
  if (rules.empty()) throw UserError("--rules", "expected at least one rule");
  for (const auto& r : rules) generative_rule_names().parse(r, "--rules");
  if (targets.empty()) throw UserError("--targets", "expected at least one target kind");
  for (const auto& t : targets)
    if (t != "mlp" && t != "cnn")
      throw UserError("--targets", fmt::format("unknown target kind '{}': expected mlp or cnn", t));
}

GeneratorRooflineResults run_generator_roofline(const GeneratorRooflineOptions& o) {
  o.validate();
  std::vector<std::unique_ptr<AttackSession>> sessions;
  std::vector<RowSetup> setups;
  for (const auto& target : o.targets) {
    auto overrides = o.overrides;
    if (target == "cnn") overrides.push_back("model.kind=cnn");
    spdlog::info("bench generator: loading the data and the {} target", target);
    auto& session = *sessions.emplace_back(std::make_unique<AttackSession>(o.scenario, overrides));
    for (const auto& rule : o.rules) {
      RowSetup s;
      s.session = &session;
      s.request = {"generative", o.n, {fmt::format("rule={}", rule)}};
      s.request.params.insert(s.request.params.end(), o.generative_params.begin(),
                              o.generative_params.end());
      s.row.rule = rule;
      s.row.target = target;
      setups.push_back(std::move(s));
    }
  }

  GeneratorRooflineResults results;
  std::vector<ShapeRoof> shapes;
  // The profiled generation first: it also warms every row up (primitives, allocator).
  for (auto& s : setups) {
    spdlog::info("bench generator: {} rule, {} target, profiled", s.row.rule, s.row.target);
    AttackRun run;
    s.row.profile = profile_ops([&] { run = s.session->generate(s.request); });
    const auto settings = attacker_settings(run);
    s.row.n = static_cast<int64_t>(run.poison.size());
    s.row.steps = settings["steps"].as<int64_t>();
    s.row.batch_size = settings["batch_size"].as<int64_t>();
    const int64_t inputs = run.seeds.shape.numel();
    const auto what = fmt::format("G's first layer, batch {}", s.row.batch_size);
    const auto kind = settings["generator"].as<std::string>();
    const bool conv_generator = kind == "conv" || (kind == "auto" && run.seeds.shape.channels > 1);
    if (!conv_generator && std::none_of(shapes.begin(), shapes.end(),
                                        [&](const ShapeRoof& r) { return r.what == what; }))
      // bf16 only where oneDNN may use the CPU's bf16 units (native numerics): LibTorch hands
      // bf16 products to oneDNN, which has no primitive for them otherwise.
      for (bool bf16 : {false, true})
        if (!bf16 || ServingEngine::bf16_supported())
          shapes.push_back({what, s.row.batch_size, inputs,
                            settings["encoder_widths"][0].as<int64_t>(), bf16, 0});
    const auto& spec = s.session->model().spec();
    const auto chunk = settings["unroll_chunk"].as<int64_t>();
    const auto step = fmt::format("the target's first layer, a step of {}", chunk);
    if (spec.kind == ModelKind::mlp && !spec.hidden.empty() &&
        std::none_of(shapes.begin(), shapes.end(),
                     [&](const ShapeRoof& r) { return r.what == step; }))
      shapes.push_back({step, chunk, inputs, spec.hidden.front(), false, 0});
  }

  // The roofs and the timed generations take turns, each round starting elsewhere.
  std::vector<Measured> roofs = peak_measures(o.peak_size);
  const bool has_bf16_peak = roofs.size() == 2;
  for (const auto& shape : shapes)
    roofs.push_back(libtorch_matrix_product(shape.m, shape.k, shape.n, shape.bf16));
  for (auto& roof : roofs) measure_rate(roof, 0.1);  // warm-up
  std::vector<std::function<void()>> turns;
  for (auto& roof : roofs)
    turns.push_back([&roof] { roof.rates.push_back(measure_rate(roof, kRoofSeconds)); });
  for (auto& s : setups)
    turns.push_back([&s] {
      spdlog::info("bench generator: {} rule, {} target, timed", s.row.rule, s.row.target);
      s.row.seconds.push_back(s.session->generate(s.request).seconds);
    });
  for (int r = 0; r < o.rounds; ++r) {
    spdlog::info("bench generator: round {} of {}", r + 1, o.rounds);
    for (size_t i = 0; i < turns.size(); ++i) turns[(i + static_cast<size_t>(r)) % turns.size()]();
  }

  size_t next = 0;
  results.peak_f32_gflops = median(roofs[next++].rates) / 1e9;
  if (has_bf16_peak) results.peak_bf16_gflops = median(roofs[next++].rates) / 1e9;
  for (auto& shape : shapes) {
    shape.gflops = median(roofs[next++].rates) / 1e9;
    results.shape_roofs.push_back(shape);
  }
  for (auto& s : setups) {
    s.row.median_seconds = median(s.row.seconds);
    s.row.samples_per_second = static_cast<double>(s.row.n) / s.row.median_seconds;
    results.rows.push_back(std::move(s.row));
  }
  return results;
}

std::string format_generator_roofline(const GeneratorRooflineResults& res,
                                      const GeneratorRooflineOptions& o) {
  std::string out = fmt::format(
      "G's training against the roof: generative attack, n = {}, G's training included; medians "
      "of {} rounds\n",
      o.n, o.rounds);
  out +=
      fmt::format("peak: oneDNN matmul {}^3 f32 {:.1f} GFLOP/s", o.peak_size, res.peak_f32_gflops);
  if (res.peak_bf16_gflops) out += fmt::format(", bf16 {:.1f} GFLOP/s", *res.peak_bf16_gflops);
  out += "\n";
  double best_shape = 0;  // the best f32 product: what G's training could reach in f32
  for (const auto& s : res.shape_roofs)
    if (!s.bf16) best_shape = std::max(best_shape, s.gflops);
  for (const auto& s : res.shape_roofs)
    out += fmt::format("LibTorch mm at {} ({}x{}x{}) {}: {:.1f} GFLOP/s\n", s.what, s.m, s.k, s.n,
                       s.bf16 ? "bf16" : "f32", s.gflops);
  out +=
      fmt::format("\n{:<12} {:<6} {:>5} {:>8} {:>9} {:>7} {:>8} {:>7} {:>11}\n", "rule", "target",
                  "steps", "seconds", "samples/s", "GFLOP", "GFLOP/s", "of peak", "of G's mm");
  bool lower_bound = false;
  for (const auto& r : res.rows) {
    lower_bound = lower_bound || r.profile.convolutions_ran;
    out += fmt::format("{:<12} {:<6} {:>5} {:>8.2f} {:>9.1f} {:>6.1f}{} {:>8.1f} {:>7} {:>11}\n",
                       r.rule, r.target, r.steps, r.median_seconds, r.samples_per_second, r.gflop(),
                       r.profile.convolutions_ran ? "+" : " ", r.gflops(),
                       percent(r.gflops(), res.peak_f32_gflops), percent(r.gflops(), best_shape));
  }
  if (lower_bound)
    out +=
        "+ convolutions ran: LibTorch's profiler leaves their FLOPs out, so GFLOP and GFLOP/s "
        "are lower bounds\n";
  out +=
      "\nwhere the time goes (one more generation under LibTorch's profiler; share of its wall "
      "time):\n";
  for (const auto& r : res.rows) {
    out += fmt::format("{} {} ({:.2f} s profiled):", r.rule, r.target, r.profile.wall_seconds);
    for (const auto& [category, seconds] : r.profile.category_seconds())
      out += fmt::format(" {} {};", category, percent(seconds, r.profile.wall_seconds));
    out += "\n  phases of G's training (inclusive; GFLOP, GFLOP/s):";
    for (const auto& phase : r.profile.phases)
      out +=
          fmt::format("\n    {:<28} {:>6} runs {:>5} {:>8.2f} GFLOP {:>7.1f} GFLOP/s", phase.name,
                      phase.calls, percent(phase.seconds, r.profile.wall_seconds),
                      phase.flops / 1e9, phase.seconds > 0 ? phase.flops / 1e9 / phase.seconds : 0);
    out += "\n  most self time:";
    for (size_t i = 0; i < std::min<size_t>(6, r.profile.ops.size()); ++i)
      out += fmt::format(" {} {} ({} calls){}", r.profile.ops[i].name,
                         percent(r.profile.ops[i].self_seconds, r.profile.wall_seconds),
                         r.profile.ops[i].calls, i + 1 < 6 ? ";" : "");
    out += "\n";
  }
  return out;
}

nlohmann::json generator_roofline_json(const GeneratorRooflineResults& res,
                                       const GeneratorRooflineOptions& o) {
  nlohmann::json j;
  j["n"] = o.n;
  j["rounds"] = o.rounds;
  j["peak_size"] = o.peak_size;
  j["peak_f32_gflops"] = res.peak_f32_gflops;
  j["peak_bf16_gflops"] =
      res.peak_bf16_gflops ? nlohmann::json(*res.peak_bf16_gflops) : nlohmann::json();
  j["shape_roofs"] = nlohmann::json::array();
  for (const auto& s : res.shape_roofs)
    j["shape_roofs"].push_back({{"what", s.what},
                                {"m", s.m},
                                {"k", s.k},
                                {"n", s.n},
                                {"bf16", s.bf16},
                                {"gflops", s.gflops}});
  j["rows"] = nlohmann::json::array();
  for (const auto& r : res.rows) {
    nlohmann::json row{{"rule", r.rule},
                       {"target", r.target},
                       {"n", r.n},
                       {"steps", r.steps},
                       {"batch_size", r.batch_size},
                       {"seconds", r.seconds},
                       {"median_seconds", r.median_seconds},
                       {"samples_per_second", r.samples_per_second},
                       {"counted_gflop", r.gflop()},
                       {"gflop_lower_bound", r.profile.convolutions_ran},
                       {"gflops", r.gflops()},
                       {"fraction_of_peak", r.gflops() / res.peak_f32_gflops},
                       {"profiled_seconds", r.profile.wall_seconds}};
    for (const auto& [category, seconds] : r.profile.category_seconds())
      row["category_seconds"][category] = seconds;
    for (const auto& phase : r.profile.phases)
      row["phases"].push_back({{"name", phase.name},
                               {"calls", phase.calls},
                               {"seconds", phase.seconds},
                               {"flops", phase.flops}});
    for (const auto& op : r.profile.ops)
      row["ops"].push_back({{"name", op.name},
                            {"category", op.category},
                            {"self_seconds", op.self_seconds},
                            {"calls", op.calls}});
    j["rows"].push_back(row);
  }
  return j;
}

}  // namespace poisonsim::bench
