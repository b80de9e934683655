// `poisonsim roc`: detection metrics over thresholds, recomputed offline from a recorded trace.
#include <cmath>
#include <cstdlib>
#include <memory>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "pipeline/scenario/sweep_axes.h"
#include "pipeline/trace/offline_roc.h"
#include "pipeline/trace/run_metrics.h"
#include "pipeline/trace/trace_reader.h"
#include "sim/util/atomic_output.h"
#include "sim/util/error.h"
#include "tools/cli/commands.h"
#include "tools/cli/json_output.h"
#include "tools/cli/verb_table.h"
#include "tools/common/json_number.h"

namespace poisonsim::cli {
namespace {

constexpr const char* kCaveat =
    "offline: the recorded losses re-judged at each threshold. This ignores the guard's "
    "feedback on retraining (another threshold would have let other samples into the buffer, "
    "deployed other models and changed later losses); for that closed loop, re-run with "
    "`poisonsim sweep --param guard.threshold=...`.";

constexpr const char* kStageCaveat =
    "offline: the scores stage {} ({}) recorded re-judged at each threshold (rejected above it). "
    "A guard stage saw only what the stages before it accepted, a sanitizer only the window the "
    "guard let through; another threshold would have changed what later stages and retrains "
    "saw. For that closed loop, re-run with `poisonsim sweep`.";

struct RocOptions {
  std::string path;
  std::string group = "/";
  std::string stage;  // "" the loss; else a stage number or type
  std::string thresholds = "0.5:8:log16";
  bool thresholds_given = false;
  std::string json;  // "" no JSON, "-" stdout, else a file (json_destination)
  bool force = false;
};

std::vector<double> parse_thresholds(const std::string& spec) {
  std::vector<double> thresholds;
  for (const auto& text : parse_sweep_values(spec, "--thresholds " + spec)) {
    const auto value = parse_finite_number(text);
    if (!value) throw UserError("--thresholds " + spec, fmt::format("'{}' is not a number", text));
    thresholds.push_back(*value);
  }
  return thresholds;
}

// `--stage` as samples.rejected_by numbers it (1 = the first guard stage), from a number or the
// first stage of that type; UserError naming the run's stages otherwise.
uint8_t resolve_stage(const std::string& stage, const std::vector<std::string>& types) {
  std::string listed;
  for (size_t i = 0; i < types.size(); ++i)
    listed += fmt::format("{}{} {}", listed.empty() ? "" : ", ", i + 1, types[i]);
  const std::string known = types.empty() ? "the trace names no stages" : "its stages: " + listed;
  const auto number = parse_finite_number(stage);
  if (number) {
    if (*number >= 1 && *number <= static_cast<double>(types.size()) &&
        *number == std::floor(*number))
      return static_cast<uint8_t>(*number);
    throw UserError("--stage " + stage, "no such stage in this run (" + known + ")");
  }
  for (size_t i = 0; i < types.size(); ++i)
    if (types[i] == stage) return static_cast<uint8_t>(i + 1);
  throw UserError("--stage " + stage, "no stage of that type in this run (" + known + ")");
}

void run_roc(const RocOptions& o, const GlobalOptions& global) {
  apply_global_options(global);
  if (o.path.empty()) throw UserError("roc", "no trace given: poisonsim roc TRACE.h5");
  JsonOutput json(o.json, o.force);  // reserved before the work
  std::vector<double> thresholds = parse_thresholds(o.thresholds);
  const TraceReader reader(written_or_in_progress(o.path), o.group);
  OfflineRoc roc;
  std::string caveat = kCaveat;
  uint8_t stage = 0;
  std::string stage_type;
  if (o.stage.empty()) {
    roc = offline_roc(reader, thresholds);
  } else {
    const auto types = guard_stage_types(reader.metadata().scenario_yaml);
    stage = resolve_stage(o.stage, types);
    stage_type = types[stage - 1];
    if (stage_type == "loss-threshold" || stage_type == "adaptive")
      throw UserError("--stage " + o.stage,
                      fmt::format("stage {} ({}) judges by the loss: `poisonsim roc` without "
                                  "--stage draws its curve",
                                  stage, stage_type));
    roc = offline_stage_roc(reader, stage,
                            o.thresholds_given ? thresholds : std::vector<double>{});
    if (roc.poison + roc.clean == 0)
      throw UserError(reader.where(),
                      fmt::format("no scores of stage {} ({}): the stage has no score of its own, "
                                  "the run had trace.samples: false, or the trace is older than "
                                  "trace_format 5",
                                  stage, stage_type));
    caveat = fmt::format(kStageCaveat, stage, stage_type);
  }
  std::string json_text;
  if (!o.json.empty()) {
    nlohmann::ordered_json points = nlohmann::ordered_json::array();
    for (const auto& p : roc.points)
      points.push_back({{"threshold", p.threshold},
                        {"true_positive_rate", number_or_null(p.true_positive_rate)},
                        {"false_positive_rate", number_or_null(p.false_positive_rate)},
                        {"poison_rejected", p.poison_rejected},
                        {"clean_rejected", p.clean_rejected}});
    const nlohmann::ordered_json out = {{"trace", o.path},
                                        {"group", o.group},
                                        {"mode", "offline"},
                                        {"score", stage ? "stage" : "loss"},
                                        {"stage", stage},
                                        {"stage_type", stage_type},
                                        {"note", caveat},
                                        {"poison_samples", roc.poison},
                                        {"clean_samples", roc.clean},
                                        {"auc", number_or_null(roc.auc)},
                                        {"points", points}};
    json_text = out.dump(2) + "\n";
  }
  std::string table = fmt::format("{}\n\n", caveat);
  table += fmt::format("trace {}{}: {} poison and {} clean samples, AUC {}\n\n", o.path,
                       o.group == "/" ? "" : " (" + o.group + ")", roc.poison, roc.clean,
                       std::isnan(roc.auc) ? std::string("-") : fmt::format("{:.4f}", roc.auc));
  table += fmt::format("{:>10}  {:>8}  {:>8}  {:>16}  {:>15}\n", "threshold", "TPR", "FPR",
                       "poison rejected", "clean rejected");
  const auto rate = [](double v) {
    return std::isnan(v) ? std::string("-") : fmt::format("{:.4f}", v);
  };
  for (const auto& p : roc.points)
    table += fmt::format("{:>10.4g}  {:>8}  {:>8}  {:>16}  {:>15}\n", p.threshold,
                         rate(p.true_positive_rate), rate(p.false_positive_rate), p.poison_rejected,
                         p.clean_rejected);
  json.print_table(table);
  if (!json_text.empty()) json.write(json_text);
}

}  // namespace

void add_roc_command(CLI::App& app, const GlobalOptions& global) {
  auto o = std::make_shared<RocOptions>();
  auto* cmd = app.add_subcommand("roc", verb_summary("roc"));
  cmd->add_option("trace", o->path, "Trace file (.h5) with a samples table");
  cmd->add_option("--group", o->group, "The run's group in a sweep file (e.g. /runs/3)")
      ->capture_default_str();
  cmd->add_option("--stage", o->stage,
                  "A scoring stage instead of the loss: its number as samples.rejected_by counts "
                  "them (guard stages first, then sanitizers) or its type (the first of it)");
  auto* thresholds =
      cmd->add_option("--thresholds", o->thresholds,
                      "Thresholds: 1,2,4 or START:STOP:logN / linN (with --stage, default: 17 "
                      "from the smallest score recorded to the largest)")
          ->capture_default_str();
  auto* json = cmd->add_option("--json", o->json,
                               "[FILE] Write the curve as JSON to FILE (the table still goes to "
                               "stdout); without FILE or with -, print JSON instead of the table")
                   ->expected(0, 1);
  cmd->add_flag("--force", o->force, "Replace the --json file if it exists");
  cmd->callback([o, json, thresholds, &global] {
    RocOptions options = *o;
    options.thresholds_given = thresholds->count() > 0;
    options.json = json_destination(json->count() > 0, o->json, options.path);
    run_roc(options, global);
  });
}

}  // namespace poisonsim::cli
