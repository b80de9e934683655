// `poisonsim inspect`: what a trace says about its run, as a table or as JSON.
#include <algorithm>
#include <cmath>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "pipeline/trace/run_metrics.h"
#include "pipeline/trace/sweep_aggregate.h"
#include "pipeline/trace/sweep_file.h"
#include "pipeline/trace/trace_reader.h"
#include "sim/util/atomic_output.h"
#include "sim/util/error.h"
#include "sim/util/stage_times.h"
#include "tools/cli/commands.h"
#include "tools/cli/console_format.h"
#include "tools/cli/defense_summary.h"
#include "tools/cli/gate_refusals.h"
#include "tools/cli/json_output.h"
#include "tools/cli/optional_number.h"
#include "tools/cli/program_name.h"
#include "tools/cli/seed_means.h"
#include "tools/cli/summary_table.h"
#include "tools/cli/verb_table.h"

namespace poisonsim::cli {
namespace {

struct InspectOptions {
  std::string path;
  std::string group = "/";
  bool json = false;      // --json given: JSON instead of text (on stdout), or also to a file
  std::string json_file;  // --json FILE; empty or "-": stdout
  std::string mean_over;  // --mean-over seed
  bool force = false;     // --force: replace an existing --json file
};

struct SourceSummary {
  std::string name;
  std::string kind;  // "stream" or "attacker" (console_format.h), from the batch events' kind
  int64_t batches = 0;
  int64_t samples = 0;
  int64_t poisoned = 0;
  int64_t rejected = 0;
};

struct Summary {
  std::string path;
  std::string group;
  TraceMetadata metadata;
  int trace_format = 0;
  bool complete = false;
  double duration = 0;  // time of the last event
  int64_t events = 0;   // rows of the events table, as `poisonsim run` counts them
  std::vector<SourceSummary> sources;
  RunMetrics metrics;
  std::vector<std::string> stage_types;      // the guard's stages, from the scenario
  std::vector<StageRejections> stages;       // what each rejected (samples.rejected_by)
  std::vector<DefenseStageSummary> defense;  // each stage by ground truth, window by window
  int64_t empty = 0;  // retrains with nothing to train on: neither deployed nor refused
  std::vector<RetrainRow> refusals;  // why the gate refused each (gate_refusals.h)
  int64_t evaluations = 0;
  std::optional<EvaluationPoint> first, last, lowest;
};

Summary summarise(const InspectOptions& o) {
  const TraceReader reader(o.path, o.group);
  Summary s;
  s.path = o.path;
  s.group = o.group;
  s.metadata = reader.metadata();
  s.trace_format = reader.trace_format();
  s.complete = reader.complete();

  // The same sink the run's own summary comes from (pipeline/trace/run_metrics.h).
  const RunMetricsSink rows = read_run_metrics(reader);
  s.metrics = rows.metrics();
  s.duration = rows.last_event_time();
  s.events = rows.events();
  for (const auto& source : rows.sources())
    s.sources.push_back(SourceSummary{source.name, source_kind(source.is_poison), source.batches,
                                      source.samples,
                                      // Every sample an attacker sends is poison; streams send
                                      // none (label noise is not poison).
                                      source.is_poison ? source.samples : 0, source.rejected});
  s.stage_types = guard_stage_types(s.metadata.scenario_yaml);
  s.stages = rows.stage_rejections();
  s.stages.resize(std::max(s.stages.size(), s.stage_types.size()));
  s.defense = summarise_defense(reader);
  s.empty = rows.empty_retrains();
  s.refusals = rows.refusals();
  s.evaluations = rows.evaluations();
  s.first = rows.first_evaluation();
  s.last = rows.last_evaluation();
  s.lowest = rows.lowest_evaluation();
  return s;
}

// ---- JSON ----

nlohmann::ordered_json json_point(const std::optional<EvaluationPoint>& point) {
  if (!point) return nlohmann::ordered_json();
  return {{"time", point->time},
          {"accuracy", point->accuracy},
          {"model_version", point->model_version}};
}

// The run's wall seconds by stage (null until the run ended, or in older traces).
nlohmann::ordered_json stage_seconds(const TraceMetadata& metadata) {
  if (metadata.stage_seconds.empty()) return nullptr;
  auto parsed = nlohmann::ordered_json::parse(metadata.stage_seconds, nullptr, false);
  return parsed.is_object() ? parsed : nlohmann::ordered_json(nullptr);
}

// The trace's provenance object, or null (older traces).
nlohmann::ordered_json provenance(const TraceMetadata& metadata) {
  if (metadata.provenance.empty()) return nullptr;
  auto parsed = nlohmann::ordered_json::parse(metadata.provenance, nullptr, false);
  return parsed.is_object() ? parsed : nlohmann::ordered_json(nullptr);
}

void print_provenance(const nlohmann::ordered_json& p) {
  if (!p.is_object()) return;
  const auto text = [&](const char* key) { return p.value(key, std::string("?")); };
  const auto& threads = p.value("threads", nlohmann::ordered_json::object());
  std::string command;
  for (const auto& word : p.value("command_line", nlohmann::ordered_json::array()))
    command += (command.empty() ? "" : " ") + word.get<std::string>();
  fmt::print("provenance poisonsim {} (commit {}) on {}, started {}\n", text("poisonsim_version"),
             text("git_commit"), text("host"), text("start_time_utc"));
  fmt::print("           command: {}\n", command);
  fmt::print(
      "           LibTorch {}, oneDNN {}, oneTBB {}, HDF5 {}; threads: LibTorch {}, "
      "scoring {}, BLAS {}, OpenMP wait {}\n",
      text("libtorch"), text("onednn"), text("onetbb"), text("hdf5"), threads.value("libtorch", 0),
      threads.value("scoring", 0), threads.value("blas", 0),
      threads.value("omp_wait_policy", std::string("?")));
}

nlohmann::ordered_json to_json(const Summary& s) {
  nlohmann::ordered_json sources = nlohmann::ordered_json::array();
  for (const auto& source : s.sources) {
    sources.push_back({{"name", source.name},
                       {"kind", source.kind},
                       {"batches", source.batches},
                       {"samples", source.samples},
                       {"poisoned", source.poisoned},
                       {"rejected", source.rejected},
                       {"rejection_rate", json_or_null(ratio(source.rejected, source.samples))}});
  }
  const RunMetrics& m = s.metrics;
  nlohmann::ordered_json stages = nlohmann::ordered_json::array();
  for (size_t i = 0; i < s.stages.size(); ++i)
    stages.push_back(
        {{"stage", i + 1},
         {"type", i < s.stage_types.size() ? s.stage_types[i] : "?"},
         {"poison_rejected", s.stages[i].poison},
         {"clean_rejected", s.stages[i].clean},
         {"false_positive_rate", json_or_null(ratio(s.stages[i].clean, m.clean_samples))}});
  const nlohmann::ordered_json guard = {
      {"poison", m.poison_samples},
      {"poison_rejected", m.poison_rejected},
      {"clean", m.clean_samples},
      {"clean_rejected", m.clean_rejected},
      {"true_positive_rate", json_or_null(known(m.true_positive_rate))},
      {"false_positive_rate", json_or_null(known(m.false_positive_rate))},
      {"poison_accepted_fraction", json_or_null(known(m.poison_accepted_fraction))},
      {"stages", stages}};
  return {{"trace", s.path},
          {"group", s.group},
          {"run",
           {{"seed", s.metadata.seed},
            {"poisonsim_version", s.metadata.version},
            {"cpu", s.metadata.cpu},
            {"blas", s.metadata.blas},
            {"blas_kernel", s.metadata.blas_kernel},
            {"numerics", s.metadata.numerics},
            {"stage_seconds", stage_seconds(s.metadata)},
            {"provenance", provenance(s.metadata)},
            {"trace_format", s.trace_format},
            {"complete", s.complete},
            {"stopped", s.metadata.stopped.empty() ? nlohmann::ordered_json()
                                                   : nlohmann::ordered_json(s.metadata.stopped)},
            {"duration", s.duration},
            {"events", s.events}}},
          {"sources", sources},
          {"poisoned_counted_from", m.counted_from_samples ? "samples" : "poison-batch events"},
          {"guard", guard},
          {"defense", defense_json(s.defense)},
          {"retrains",
           {{"count", m.retrains},
            {"deployed", m.deployed},
            {"refused", m.refused},
            {"refused_without_poison", m.refused_without_poison},
            {"refusals", refusals_json(s.refusals)},
            {"empty", s.empty},
            {"mean_poison_fraction", json_or_null(known(m.buffer_poison_fraction_mean))},
            {"worst_test_accuracy_change", json_or_null(known(m.retrain_test_change_min))}}},
          {"evaluations",
           {{"count", s.evaluations},
            {"first", json_point(s.first)},
            {"last", json_point(s.last)},
            {"min", json_point(s.lowest)},
            {"mean_accuracy", json_or_null(known(m.accuracy_mean))}}}};
}

// ---- Text ----

std::string percent(const std::optional<double>& value) {
  return value ? fmt::format("{:.1f}%", 100 * *value) : "-";
}

std::string rate(const std::optional<double>& value) {
  return value ? fmt::format("{:.4f}", *value) : "-";
}

std::string point_text(const char* label, const std::optional<EvaluationPoint>& point) {
  return fmt::format("{} {:.4f} at {:.1f} s", label, point->accuracy, point->time);
}

void print_text(const Summary& s) {
  fmt::print("trace      {}{}\n", s.path, s.group == "/" ? "" : " (" + s.group + ")");
  fmt::print("run        seed {}, poisonsim {}, {} events over {} simulated seconds, {}\n",
             s.metadata.seed, s.metadata.version, s.events, simulated_seconds(s.duration),
             s.complete                    ? "complete"
             : !s.metadata.stopped.empty() ? "STOPPED by " + s.metadata.stopped
                                           : "INCOMPLETE (still running, or the run died)");
  // Models (and so gate decisions) differ in the last digits between CPUs and BLAS kernels.
  if (!s.metadata.cpu.empty()) fmt::print("machine    {}\n", s.metadata.cpu);
  if (!s.metadata.blas.empty()) fmt::print("BLAS       {}\n", s.metadata.blas);
  if (!s.metadata.numerics.empty()) fmt::print("numerics   {}\n", s.metadata.numerics);
  print_provenance(provenance(s.metadata));
  const auto stages = stage_seconds(s.metadata);
  if (stages.is_object() && !stages.empty()) {
    std::vector<std::pair<std::string, double>> seconds;
    for (const auto& [stage, value] : stages.items())
      if (value.is_number()) seconds.emplace_back(stage, value.get<double>());
    fmt::print("wall s     {}\n", format_stage_seconds(seconds));
  }

  fmt::print("\n{:<20} {:<8} {:>9} {:>10} {:>10} {:>10} {:>10}\n", "source", "kind", "batches",
             "samples", "poisoned", "rejected", "% rejected");
  SourceSummary total{"total", "", 0, 0, 0, 0};
  for (const auto& source : s.sources) {
    fmt::print("{:<20} {:<8} {:>9} {:>10} {:>10} {:>10} {:>10}\n", source.name, source.kind,
               source.batches, source.samples, source.poisoned, source.rejected,
               percent(ratio(source.rejected, source.samples)));
    total.batches += source.batches;
    total.samples += source.samples;
    total.poisoned += source.poisoned;
    total.rejected += source.rejected;
  }
  fmt::print("{:<20} {:<8} {:>9} {:>10} {:>10} {:>10} {:>10}\n", total.name, "", total.batches,
             total.samples, total.poisoned, total.rejected,
             percent(ratio(total.rejected, total.samples)));
  const RunMetrics& m = s.metrics;
  if (!m.counted_from_samples)
    fmt::print("(no samples table: counts come from the batch events)\n");

  fmt::print("\n");
  fmt::print("guard      true positive rate  {} ({} of {} poison samples rejected)\n",
             rate(known(m.true_positive_rate)), m.poison_rejected, m.poison_samples);
  fmt::print("           false positive rate {} ({} of {} clean samples rejected)\n",
             rate(known(m.false_positive_rate)), m.clean_rejected, m.clean_samples);
  fmt::print("           poison among accepted samples {}\n",
             percent(known(m.poison_accepted_fraction)));
  // A chain of stages: what each rejected first (a sample reaches a stage only if those before
  // it accepted it).
  for (size_t i = 0; s.stages.size() > 1 && i < s.stages.size(); ++i)
    fmt::print("           stage {} {:<16} rejected {} poison, {} clean samples\n", i + 1,
               i < s.stage_types.size() ? s.stage_types[i] : "?", s.stages[i].poison,
               s.stages[i].clean);
  print_defense(s.defense);
  fmt::print("retrains   {} ({} deployed, {} refused by the gate", m.retrains, m.deployed,
             m.refused);
  if (m.refused > 0) fmt::print(", {} with no poison in the buffer", m.refused_without_poison);
  if (s.empty > 0) fmt::print(", {} with nothing to train on", s.empty);
  fmt::print(")");
  if (!std::isnan(m.buffer_poison_fraction_mean))
    fmt::print(", mean poison fraction in the buffer {:.4f}", m.buffer_poison_fraction_mean);
  if (!std::isnan(m.retrain_test_change_min))
    fmt::print(", worst test-accuracy change {:+.4f}", m.retrain_test_change_min);
  fmt::print("\n");
  print_refusals(s.refusals);
  if (s.evaluations == 0) {
    fmt::print("accuracy   no evaluations\n");
  } else {
    fmt::print("accuracy   {}, {}, {}, mean {:.4f} ({} evaluations)\n",
               point_text("first", s.first), point_text("last", s.last),
               point_text("min", s.lowest), m.accuracy_mean, s.evaluations);
  }
}

bool json_to_stdout(const InspectOptions& o) {
  return o.json && (o.json_file.empty() || o.json_file == "-");
}

// --json FILE writes the JSON there (atomically, with provenance, tools/cli/json_output.h)
// and the text still goes to stdout; --json or --json - print the JSON instead of the text.
void emit_json(const InspectOptions& o, const nlohmann::ordered_json& value) {
  JsonOutput(json_to_stdout(o) ? "-" : o.json_file, o.force).write(value.dump(2) + "\n");
}

// A sweep file's root holds no run: show its summary table (one row per run) instead.
void inspect_sweep(const InspectOptions& o) {
  const SweepContents sweep = read_sweep_file(o.path);
  warn_if_numerics_mixed(sweep);
  if (!o.mean_over.empty()) {
    if (!json_to_stdout(o)) print_seed_means(o.path, sweep);
    if (o.json) emit_json(o, seed_means_json(o.path, sweep));
    return;
  }
  if (!json_to_stdout(o)) {
    fmt::print("sweep      {} over {} ({})\n", o.path, sweep.header.scenario_file,
               sweep.complete ? "complete" : "INCOMPLETE (still running, or it died)");
    fmt::print("parameters {}\n\n", fmt::join(sweep.header.parameters, ", "));
    print_summary_table(sweep);
    fmt::print("\none run:   {} inspect {} --group /runs/<run>\n", program_name(), o.path);
    if (std::find(sweep.header.parameters.begin(), sweep.header.parameters.end(), kSeedAxis) !=
        sweep.header.parameters.end())
      fmt::print("over seeds: {} inspect {} --mean-over seed\n", program_name(), o.path);
    if (!o.json) return;
  }
  nlohmann::ordered_json rows = nlohmann::ordered_json::array();
  const size_t count = sweep.summary.empty() ? 0 : sweep.summary.front().size();
  for (size_t r = 0; r < count; ++r) {
    nlohmann::ordered_json row;
    for (const auto& c : sweep.summary) {
      if (c.kind == SummaryColumn::Kind::real) row[c.name] = json_or_null(known(c.reals[r]));
      if (c.kind == SummaryColumn::Kind::integer) row[c.name] = c.integers[r];
      if (c.kind == SummaryColumn::Kind::text) row[c.name] = c.texts[r];
    }
    rows.push_back(row);
  }
  const nlohmann::ordered_json out = {{"sweep", o.path},
                                      {"scenario_file", sweep.header.scenario_file},
                                      {"complete", sweep.complete},
                                      {"parameters", sweep.header.parameters},
                                      {"runs", rows}};
  emit_json(o, out);
}

void run_inspect(InspectOptions o, const GlobalOptions& global) {
  apply_global_options(global);
  if (o.json) o.json_file = json_destination(true, o.json_file, o.path);
  if (o.path.empty()) throw UserError("inspect", "no trace given: poisonsim inspect TRACE.h5");
  o.path = written_or_in_progress(o.path);
  if (!o.mean_over.empty() && o.mean_over != kSeedAxis)
    throw UserError("--mean-over " + o.mean_over,
                    "only `seed` is supported: the mean over the runs that differ only in their "
                    "seed");
  if (o.group == "/" && is_sweep_file(o.path)) {
    inspect_sweep(o);
    return;
  }
  if (!o.mean_over.empty())
    throw UserError(o.path,
                    "--mean-over needs a sweep file (poisonsim sweep -o), not a run's trace");
  const Summary summary = summarise(o);
  if (!json_to_stdout(o)) print_text(summary);
  if (o.json) emit_json(o, to_json(summary));
}

}  // namespace

void add_inspect_command(CLI::App& app, const GlobalOptions& global) {
  auto o = std::make_shared<InspectOptions>();
  auto* cmd = app.add_subcommand("inspect", verb_summary("inspect"));
  cmd->add_option("trace", o->path,
                  "Trace or sweep file (.h5) written by `poisonsim run` or "
                  "`poisonsim sweep`");
  cmd->add_option("--group", o->group, "The run's group in a sweep file (e.g. /runs/3)")
      ->capture_default_str();
  auto* json = cmd->add_option("--json", o->json_file,
                               "[FILE] Write the summary as JSON to FILE (the table still goes to "
                               "stdout); without FILE or with -, print JSON instead of the table")
                   ->expected(0, 1);
  cmd->add_flag("--force", o->force, "Replace the --json file if it exists");
  cmd->add_option("--mean-over", o->mean_over,
                  "seed: on a sweep file, per cell of the grid and headline metric the mean over "
                  "its seeds with a 95% Student t interval, sd and n");
  cmd->callback([o, json, &global] {
    InspectOptions options = *o;
    options.json = json->count() > 0;
    run_inspect(options, global);
  });
}

}  // namespace poisonsim::cli
