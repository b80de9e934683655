// `poisonsim roc`: detection metrics over thresholds, recomputed offline from a recorded trace.
#include <cmath>
#include <cstdlib>
#include <memory>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "pipeline/scenario/sweep_axes.h"
#include "pipeline/trace/offline_roc.h"
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

struct RocOptions {
  std::string path;
  std::string group = "/";
  std::string thresholds = "0.5:8:log16";
  std::string json;  // "" no JSON, "-" stdout, else a file (json_destination)
  bool force = false;
};

void run_roc(const RocOptions& o, const GlobalOptions& global) {
  apply_global_options(global);
  if (o.path.empty()) throw UserError("roc", "no trace given: poisonsim roc TRACE.h5");
  JsonOutput json(o.json, o.force);  // reserved before the work
  std::vector<double> thresholds;
  for (const auto& text : parse_sweep_values(o.thresholds, "--thresholds " + o.thresholds)) {
    const auto value = parse_finite_number(text);
    if (!value)
      throw UserError("--thresholds " + o.thresholds, fmt::format("'{}' is not a number", text));
    thresholds.push_back(*value);
  }
  const TraceReader reader(written_or_in_progress(o.path), o.group);
  const OfflineRoc roc = offline_roc(reader, thresholds);
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
                                        {"note", kCaveat},
                                        {"poison_samples", roc.poison},
                                        {"clean_samples", roc.clean},
                                        {"auc", number_or_null(roc.auc)},
                                        {"points", points}};
    json_text = out.dump(2) + "\n";
  }
  std::string table = fmt::format("{}\n\n", kCaveat);
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
  cmd->add_option("--thresholds", o->thresholds, "Thresholds: 1,2,4 or START:STOP:logN / linN")
      ->capture_default_str();
  auto* json = cmd->add_option("--json", o->json,
                               "[FILE] Write the curve as JSON to FILE (the table still goes to "
                               "stdout); without FILE or with -, print JSON instead of the table")
                   ->expected(0, 1);
  cmd->add_flag("--force", o->force, "Replace the --json file if it exists");
  cmd->callback([o, json, &global] {
    RocOptions options = *o;
    options.json = json_destination(json->count() > 0, o->json, options.path);
    run_roc(options, global);
  });
}

}  // namespace poisonsim::cli
