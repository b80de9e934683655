// `poisonsim inspect`: what a trace says about its run, as a table or as JSON.
#include <algorithm>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "pipeline/trace/trace_reader.h"
#include "tools/commands/commands.h"

namespace poisonsim::cli {
namespace {

struct InspectOptions {
  std::string path;
  std::string group = "/";
  bool json = false;
};

struct SourceSummary {
  std::string name;
  std::string kind;  // "stream" or "attacker", from the batch events' kind
  int64_t batches = 0;
  int64_t samples = 0;
  int64_t poisoned = 0;
  int64_t rejected = 0;
};

struct GuardSummary {
  int64_t poison = 0;
  int64_t poison_rejected = 0;
  int64_t clean = 0;
  int64_t clean_rejected = 0;
};

struct EvaluationPoint {
  double time = 0;
  double accuracy = 0;
  int64_t model_version = 0;
};

struct Summary {
  std::string path;
  std::string group;
  TraceMetadata metadata;
  int trace_format = 0;
  bool complete = false;
  double duration = 0;  // time of the last event
  std::vector<SourceSummary> sources;
  bool poisoned_from_samples = false;  // else: poison-batch sizes
  std::optional<GuardSummary> guard;   // only with a samples table
  int64_t retrains = 0;
  int64_t deployed = 0;
  int64_t refused = 0;
  int64_t empty = 0;  // nothing to train on: neither deployed nor refused
  std::optional<double> mean_poison_fraction;
  int64_t evaluations = 0;
  std::optional<EvaluationPoint> first, last, lowest;
};

std::optional<double> ratio(int64_t part, int64_t whole) {
  if (whole == 0) return std::nullopt;
  return static_cast<double>(part) / static_cast<double>(whole);
}

SourceSummary& source_named(std::vector<SourceSummary>& sources, const std::string& name) {
  for (auto& source : sources) {
    if (source.name == name) return source;
  }
  sources.push_back(SourceSummary{name, "", 0, 0, 0, 0});
  return sources.back();
}

void summarise_samples(const TraceReader& reader, Summary& s) {
  constexpr int64_t kBlock = 65536;  // bounded memory for long runs
  GuardSummary guard;
  const int64_t total = reader.rows("samples");
  for (int64_t first = 0; first < total; first += kBlock) {
    for (const auto& row : reader.samples(first, kBlock)) {
      if (row.is_poison) {
        source_named(s.sources, trace_name(row.source)).poisoned += 1;
        guard.poison += 1;
        guard.poison_rejected += row.rejected ? 1 : 0;
      } else {
        guard.clean += 1;
        guard.clean_rejected += row.rejected ? 1 : 0;
      }
    }
  }
  s.guard = guard;
}

Summary summarise(const InspectOptions& o) {
  const TraceReader reader(o.path, o.group);
  Summary s;
  s.path = o.path;
  s.group = o.group;
  s.metadata = reader.metadata();
  s.trace_format = reader.trace_format();
  s.complete = reader.complete();

  for (const auto& row : reader.events()) {
    s.duration = std::max(s.duration, row.time);
    if (row.batch_id < 0) continue;  // only arrival batches carry a batch id
    const std::string kind = trace_name(row.kind);
    auto& source = source_named(s.sources, trace_name(row.source));
    source.kind = kind == "poison-batch" ? "attacker" : "stream";
    source.batches += 1;
    source.samples += row.size;
    source.rejected += row.rejected;
    if (kind == "poison-batch" && !reader.has_samples()) source.poisoned += row.size;
  }
  s.poisoned_from_samples = reader.has_samples();
  if (reader.has_samples()) summarise_samples(reader, s);

  double fraction_sum = 0;
  for (const auto& row : reader.retrains()) {
    s.retrains += 1;
    s.deployed += row.deployed ? 1 : 0;
    const std::string gate = trace_name(row.gate);
    s.refused += gate == "refuse" ? 1 : 0;
    s.empty += gate == "empty" ? 1 : 0;
    fraction_sum += row.poison_fraction;
  }
  if (s.retrains > 0) s.mean_poison_fraction = fraction_sum / static_cast<double>(s.retrains);

  for (const auto& row : reader.evaluations()) {
    const EvaluationPoint point{row.time, row.accuracy, row.model_version};
    s.evaluations += 1;
    if (!s.first) s.first = point;
    s.last = point;
    if (!s.lowest || point.accuracy < s.lowest->accuracy) s.lowest = point;
  }
  return s;
}

// ---- JSON ----

nlohmann::ordered_json json_or_null(const std::optional<double>& value) {
  return value ? nlohmann::ordered_json(*value) : nlohmann::ordered_json();
}

nlohmann::ordered_json json_point(const std::optional<EvaluationPoint>& point) {
  if (!point) return nlohmann::ordered_json();
  return {{"time", point->time},
          {"accuracy", point->accuracy},
          {"model_version", point->model_version}};
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
  nlohmann::ordered_json guard;
  if (s.guard) {
    guard = {{"poison", s.guard->poison},
             {"poison_rejected", s.guard->poison_rejected},
             {"clean", s.guard->clean},
             {"clean_rejected", s.guard->clean_rejected},
             {"true_positive_rate", json_or_null(ratio(s.guard->poison_rejected, s.guard->poison))},
             {"false_positive_rate", json_or_null(ratio(s.guard->clean_rejected, s.guard->clean))}};
  }
  return {{"trace", s.path},
          {"group", s.group},
          {"run",
           {{"seed", s.metadata.seed},
            {"poisonsim_version", s.metadata.version},
            {"trace_format", s.trace_format},
            {"complete", s.complete},
            {"duration", s.duration}}},
          {"sources", sources},
          {"poisoned_counted_from", s.poisoned_from_samples ? "samples" : "poison-batch events"},
          {"guard", guard},
          {"retrains",
           {{"count", s.retrains},
            {"deployed", s.deployed},
            {"refused", s.refused},
            {"empty", s.empty},
            {"mean_poison_fraction", json_or_null(s.mean_poison_fraction)}}},
          {"evaluations",
           {{"count", s.evaluations},
            {"first", json_point(s.first)},
            {"last", json_point(s.last)},
            {"min", json_point(s.lowest)}}}};
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
  fmt::print("run        seed {}, poisonsim {}, {:.1f} s simulated, {}\n", s.metadata.seed,
             s.metadata.version, s.duration,
             s.complete ? "complete" : "INCOMPLETE (still running, or the run died)");

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
  if (!s.poisoned_from_samples) {
    fmt::print("(no samples table: poisoned counts every sample of poison-batch events)\n");
  }

  fmt::print("\n");
  if (s.guard) {
    const auto& g = *s.guard;
    fmt::print("guard      true positive rate  {} ({} of {} poison samples rejected)\n",
               rate(ratio(g.poison_rejected, g.poison)), g.poison_rejected, g.poison);
    fmt::print("           false positive rate {} ({} of {} clean samples rejected)\n",
               rate(ratio(g.clean_rejected, g.clean)), g.clean_rejected, g.clean);
  } else {
    fmt::print("guard      no samples table (trace.samples was off): rates unknown\n");
  }
  fmt::print("retrains   {} ({} deployed, {} refused by the gate", s.retrains, s.deployed,
             s.refused);
  if (s.empty > 0) fmt::print(", {} with nothing to train on", s.empty);
  fmt::print(")");
  if (s.mean_poison_fraction) {
    fmt::print(", mean poison fraction in the buffer {:.4f}", *s.mean_poison_fraction);
  }
  fmt::print("\n");
  if (s.evaluations == 0) {
    fmt::print("accuracy   no evaluations\n");
  } else {
    fmt::print("accuracy   {}, {}, {} ({} evaluations)\n", point_text("first", s.first),
               point_text("last", s.last), point_text("min", s.lowest), s.evaluations);
  }
}

void run_inspect(const InspectOptions& o, const GlobalOptions& global) {
  apply_global_options(global);
  const Summary summary = summarise(o);
  if (o.json) {
    fmt::print("{}\n", to_json(summary).dump(2));
  } else {
    print_text(summary);
  }
}

}  // namespace

void add_inspect_command(CLI::App& app, const GlobalOptions& global) {
  auto o = std::make_shared<InspectOptions>();
  auto* cmd = app.add_subcommand("inspect",
                                 "Summarise a trace: sources, guard detection rates, retrains, "
                                 "accuracy");
  cmd->add_option("trace", o->path, "Trace file (.h5) written by `poisonsim run`")->required();
  cmd->add_option("--group", o->group, "The run's group in a sweep file (e.g. /runs/3)")
      ->capture_default_str();
  cmd->add_flag("--json", o->json, "Print the summary as JSON instead of a table");
  cmd->callback([o, &global] { run_inspect(*o, global); });
}

}  // namespace poisonsim::cli
