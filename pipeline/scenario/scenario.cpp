#include "pipeline/scenario/scenario.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include <fmt/format.h>

#include "pipeline/scenario/config_node.h"
#include "pipeline/scenario/overrides.h"
#include "pipeline/scenario/run_limits.h"
#include "pipeline/trace/trace_rows.h"
#include "sim/util/error.h"
#include "sim/util/file_checks.h"

namespace poisonsim {
namespace {

constexpr size_t kMaxScenarioBytes = 1 << 20;

ArrivalSpec read_arrival(ConfigNode node, const ArrivalSpec& fallback) {
  ArrivalSpec arrival;
  arrival.kind = node.get_enum("process", fallback.kind, arrival_kind_names());
  arrival.rate = node.get<double>("rate", fallback.rate, in_range(1e-9, 1e6));
  node.finish();
  return arrival;
}

std::optional<double> read_stop(ConfigNode& node, double start) {
  const auto stop = node.optional<double>("stop", at_least(0));
  if (stop && *stop <= start)
    node.fail("stop", fmt::format("stop ({}) must be after start ({})", *stop, start));
  return stop;
}

TrainOptions read_train_options(ConfigNode& node, const TrainOptions& fallback, uint64_t seed) {
  TrainOptions t;
  t.epochs = node.get<int64_t>("epochs", fallback.epochs, int_in_range(1, 100000));
  t.learning_rate = node.get<double>("lr", fallback.learning_rate, in_range(1e-9, 100));
  t.batch_size = node.get<int64_t>("batch_size", fallback.batch_size, int_in_range(1, 1 << 20));
  t.momentum = node.get<double>("momentum", fallback.momentum, in_range(0, 0.999));
  t.weight_decay = node.get<double>("weight_decay", fallback.weight_decay, in_range(0, 10));
  t.seed = seed;
  return t;
}

void read_data(ConfigNode node, Scenario& s) {
  s.data.kind = node.get_enum("kind", DataKind::fashion_mnist, data_kind_names());
  s.data.path = node.optional<std::string>("path").value_or("");
  auto splits = node.child("splits");
  s.splits.pretrain = splits.get<int64_t>("pretrain", s.splits.pretrain, int_at_least(1));
  s.splits.validation = splits.get<int64_t>("validation", s.splits.validation, int_at_least(1));
  s.splits.attacker = splits.get<int64_t>("attacker", s.splits.attacker, int_at_least(1));
  s.splits.attacker_validation =
      splits.get<int64_t>("attacker_validation", s.splits.attacker_validation, int_at_least(1));
  splits.finish();
  auto synthetic = node.child("synthetic");
  auto& syn = s.data.synthetic;
  syn.train_size = synthetic.get<int64_t>("train", 30000, int_in_range(10, 10000000));
  syn.test_size = synthetic.get<int64_t>("test", 2000, int_in_range(1, 10000000));
  syn.shape.channels = synthetic.get<int64_t>("channels", 1, int_in_range(1, 4));
  syn.shape.height = synthetic.get<int64_t>("height", 28, int_in_range(4, 512));
  syn.shape.width = synthetic.get<int64_t>("width", 28, int_in_range(4, 512));
  syn.num_classes = synthetic.get<int64_t>("classes", 10, int_in_range(2, 1000));
  syn.noise = synthetic.get<double>("noise", syn.noise, in_range(0, 10));
  syn.seed = s.seed;
  synthetic.finish();
  node.finish();
}

// Image shape of a data kind, known without reading its files.
ImageShape shape_of(const DataSpec& data) {
  switch (data.kind) {
    case DataKind::cifar10:
      return {3, 32, 32};
    case DataKind::synthetic:
      return data.synthetic.shape;
    default:
      return {1, 28, 28};
  }
}

int64_t classes_of(const DataSpec& data) {
  return data.kind == DataKind::synthetic ? data.synthetic.num_classes : 10;
}

void read_model(ConfigNode node, Scenario& s) {
  ModelSpec spec = default_model_for(shape_of(s.data), classes_of(s.data));
  spec.kind = node.get_enum("kind", spec.kind, model_kind_names());
  spec.hidden = node.get_list<int64_t>("hidden", spec.hidden, int_in_range(1, 65536));
  spec.conv_channels =
      node.get_list<int64_t>("conv_channels", spec.conv_channels, int_in_range(1, 4096));
  spec.kernel_size = node.get<int64_t>("kernel_size", spec.kernel_size, int_in_range(1, 11));
  spec.torchscript_path = node.optional<std::string>("path").value_or("");
  s.model_file = node.optional<std::string>("file");
  spec.validate(node.file() + ": " + node.key_path(""));
  s.model = spec;
  node.finish();
}

// Stream and attacker names label every row of the trace: one line, stored whole.
Check<std::string> trace_name() {
  return [](const std::string& v) -> std::string {
    const bool printable = std::all_of(v.begin(), v.end(), [](char c) {
      return static_cast<unsigned char>(c) >= 0x20 && c != 0x7f;
    });
    if (!v.empty() && printable && v.size() < kTraceNameSize) return "";
    return fmt::format("a non-empty name on one line, at most {} bytes (it labels trace rows)",
                       kTraceNameSize - 1);
  };
}

// Ticks at most this many times per run: a smaller interval would make a run that never ends
// (and, below duration * 2^-53, one whose clock cannot advance at all).
constexpr double kMaxTicks = 1e8;

Check<double> tick_interval(double duration) {
  return [duration](const double& v) -> std::string {
    if (v > 0 && duration / v <= kMaxTicks) return "";
    return fmt::format(
        "a number of seconds >= duration / {:.0e} = {:g} (a smaller interval ticks "
        "more than {:.0e} times in the run)",
        kMaxTicks, duration / kMaxTicks, kMaxTicks);
  };
}

void read_streams(ConfigNode& root, Scenario& s) {
  const bool given = root.has("streams");
  auto nodes = root.children("streams");
  std::set<std::string> names;
  for (size_t i = 0; i < nodes.size(); ++i) {
    auto& node = nodes[i];
    StreamSpec stream;
    stream.name = node.get<std::string>(
        "name", nodes.size() == 1 ? "public" : fmt::format("stream{}", i), trace_name());
    if (!names.insert(stream.name).second) node.fail("name", "two streams share this name");
    stream.arrival = read_arrival(node.child("arrival"), stream.arrival);
    stream.batch_size = node.get<int64_t>("batch_size", stream.batch_size, int_in_range(1, 100000));
    stream.label_noise = node.get<double>("label_noise", 0.0, in_range(0, 1));
    stream.start = node.get<double>("start", 0.0, at_least(0));
    stream.stop = read_stop(node, stream.start);
    node.finish();
    s.streams.push_back(stream);
  }
  if (!given) s.streams.push_back(StreamSpec{"public", {}, 32, 0, 0, std::nullopt});
}

void read_attackers(ConfigNode& root, Scenario& s, const PluginRegistry& plugins) {
  const PoisonShape data{shape_of(s.data), classes_of(s.data)};
  auto nodes = root.children("attackers");
  std::set<std::string> names;
  for (auto& s_stream : s.streams) names.insert(s_stream.name);
  for (size_t i = 0; i < nodes.size(); ++i) {
    auto& node = nodes[i];
    AttackerSpec a;
    a.type = node.required<std::string>("type", one_of(plugins.attackers.types()));
    a.name = node.get<std::string>("name", fmt::format("{}{}", a.type, i), trace_name());
    if (!names.insert(a.name).second) node.fail("name", "another stream or attacker has this name");
    a.arrival = read_arrival(node.child("arrival"), a.arrival);
    a.batch_size = node.get<int64_t>("batch_size", a.batch_size, int_in_range(1, 100000));
    a.budget = node.optional<int64_t>("budget", int_at_least(1));
    a.budget_per_window = node.optional<int64_t>("budget_per_window", int_at_least(1));
    a.timing = node.get_enum("timing", AttackTiming::uniform, attack_timing_names());
    a.timing_span = node.get<double>("timing_span", a.timing_span, greater_than(0.0));
    // Read (and so written into the resolved scenario) only for the timing they belong to.
    if (a.timing == AttackTiming::verdicts) {
      a.timing_min_acceptance =
          node.get<double>("timing_min_acceptance", a.timing_min_acceptance, in_range(0, 1));
      a.timing_probe_every =
          node.get<int64_t>("timing_probe_every", a.timing_probe_every, int_in_range(1, 1000000));
    } else {
      for (const char* key : {"timing_min_acceptance", "timing_probe_every"})
        if (node.has(key)) node.fail(key, "applies only to timing: verdicts");
    }
    a.defense_aware =
        node.get_enum("defense_aware", DefenseKnowledge::none, defense_knowledge_names());
    a.start = node.get<double>("start", 0.0, at_least(0));
    a.stop = read_stop(node, a.start);
    auto knowledge = node.child("knowledge");
    a.knowledge.kind = knowledge.get_enum("model", KnowledgeKind::current, knowledge_kind_names());
    a.knowledge.stale_retrains =
        knowledge.get<int64_t>("stale_retrains", a.knowledge.stale_retrains, int_in_range(1, 1000));
    knowledge.finish();
    a.generate_ahead = node.get<int64_t>("generate_ahead", 0, int_in_range(0, 1000000));
    a.accumulate = read_accumulate(node);
    if (a.accumulate) check_accumulate(node, a);
    a.make_generator = plugins.attackers.find(a.type)->parse(node, data);
    node.finish();
    s.attackers.push_back(std::move(a));
  }
}

void read_retrain(ConfigNode node, Scenario& s) {
  auto& r = s.retrain;
  r.trigger = node.get_enum("trigger", RetrainTrigger::interval, retrain_trigger_names());
  r.interval = node.get<double>("interval", r.interval, tick_interval(s.duration));
  r.min_samples = node.get<int64_t>("min_samples", r.min_samples, int_at_least(1));
  r.train = read_train_options(node, r.train, s.seed);
  r.train.schedule = node.get_enum("lr_schedule", LrSchedule::constant, lr_schedule_names());
  r.train.warmup = node.get<double>("warmup", 0.0, in_range(0, 0.99));
  r.start = node.get_enum("start", RetrainStart::deployed, retrain_start_names());
  r.select = node.get_enum("select", ModelSelection::average, model_selection_names());
  r.train.average_last_epoch = r.select == ModelSelection::average;
  r.replay = node.get<int64_t>("replay", 0, int_at_least(0));
  auto buffer = node.child("buffer");
  r.buffer_capacity =
      buffer.get<int64_t>("capacity", r.buffer_capacity, int_in_range(1, 100000000));
  r.eviction = buffer.get_enum("eviction", Eviction::fifo, eviction_names());
  r.clear_after_retrain = buffer.get<bool>("clear_after_retrain", true);
  r.keep_windows = buffer.get<int64_t>("keep_windows", 0, int_in_range(0, 1000000));
  if (r.keep_windows > 0 && r.clear_after_retrain)
    buffer.fail("keep_windows", "keeping past windows needs clear_after_retrain: false");
  buffer.finish();
  for (size_t i = 0; i < s.attackers.size(); ++i)
    if (r.trigger != RetrainTrigger::interval &&
        s.attackers[i].timing == AttackTiming::before_retrain)
      node.fail("trigger", fmt::format("attackers.{}.timing: before-retrain needs the retrains "
                                       "on a schedule (trigger: interval)",
                                       i));
  if (r.trigger == RetrainTrigger::buffer && r.min_samples > r.buffer_capacity)
    node.fail("min_samples", fmt::format("min_samples ({}) exceeds buffer.capacity ({}): the "
                                         "buffer could never trigger a retrain",
                                         r.min_samples, r.buffer_capacity));
  node.finish();
}

template <class Parser, class Factory>
std::string read_plugin(ConfigNode node, const Registry<Parser>& registry, Factory& factory) {
  const auto type = node.get<std::string>("type", "none", one_of(registry.types()));
  factory = registry.find(type)->parse(node);
  node.finish(
      fmt::format(" (the keys depend on {0}.type {1}; to switch types with --set, "
                  "replace the whole block: --set '{0}={{type: ...}}')",
                  node.path(), type));
  return type;
}

GuardSpec read_guard(ConfigNode& root, const PluginRegistry& plugins, ModelKind model) {
  std::vector<std::string> types;
  std::vector<SampleGuardFactory> factories;
  const auto read_stage = [&](ConfigNode node) {
    factories.emplace_back();
    types.push_back(read_plugin(node, plugins.guards, factories.back()));
    if (model == ModelKind::torchscript && factories.back()()->needs().features)
      node.fail("type", fmt::format("{} compares the deployed model's features, which only mlp "
                                    "and cnn targets give (model.kind is torchscript)",
                                    types.back()));
  };
  if (root.raw("guard").IsSequence()) {
    auto stages = root.children("guard");
    if (stages.empty() || stages.size() > kMaxGuardStages)
      root.fail("guard", fmt::format("expected 1 to {} stages (a list of mappings with a type), "
                                     "got {}; for no guard write guard: {{type: none}}",
                                     kMaxGuardStages, stages.size()));
    for (auto& stage : stages) read_stage(stage);
  } else {
    read_stage(root.child("guard"));
  }
  GuardSpec spec;
  spec.type.clear();
  for (const auto& type : types) spec.type += (spec.type.empty() ? "" : " + ") + type;
  spec.make_guard = [types, factories] {
    std::vector<GuardChain::Stage> stages;
    for (size_t i = 0; i < types.size(); ++i) stages.push_back({types[i], factories[i]()});
    return std::make_unique<GuardChain>(std::move(stages));
  };
  return spec;
}

SanitizeSpec read_sanitize(ConfigNode& root, const PluginRegistry& plugins, ModelKind model,
                           size_t guard_stages) {
  SanitizeSpec spec;
  const YAML::Node raw = root.raw("sanitize");
  if (!raw.IsDefined() || raw.IsNull()) return spec;
  if (!raw.IsSequence())
    root.fail("sanitize", fmt::format("expected a list of mappings with a type (e.g. sanitize: "
                                      "[{{type: spectral}}]), got {}",
                                      describe_yaml(raw)));
  auto stages = root.children("sanitize");
  // Guard and sanitize stages share samples.rejected_by's numbering.
  if (stages.empty() || guard_stages + stages.size() > kMaxGuardStages)
    root.fail("sanitize",
              fmt::format("expected 1 to {} stages (guard and sanitize stages "
                          "together at most {}), got {}",
                          kMaxGuardStages - guard_stages, kMaxGuardStages, stages.size()));
  std::vector<WindowSanitizerFactory> factories;
  for (auto& node : stages) {
    const auto type = node.required<std::string>("type", one_of(plugins.sanitizers.types()));
    if (model == ModelKind::torchscript)
      node.fail("type", fmt::format("{} compares the deployed model's features, which only mlp "
                                    "and cnn targets give (model.kind is torchscript)",
                                    type));
    factories.push_back(plugins.sanitizers.find(type)->parse(node));
    node.finish(fmt::format(" (the keys depend on {}.type {})", node.path(), type));
    spec.types.push_back(type);
  }
  spec.make_chain = [types = spec.types, factories] {
    std::vector<SanitizerChain::Stage> chain;
    for (size_t i = 0; i < types.size(); ++i) chain.push_back({types[i], factories[i]()});
    return std::make_unique<SanitizerChain>(std::move(chain));
  };
  return spec;
}

YAML::Node parse_yaml(const std::string& text, const std::string& file) {
  try {
    return YAML::Load(text);
  } catch (const YAML::Exception& e) {
    const auto& m = e.mark;
    const std::string where =
        m.is_null() ? file : fmt::format("{}:{}:{}", file, m.line + 1, m.column + 1);
    throw UserError(where, fmt::format("malformed YAML: {}", e.msg));
  }
}

}  // namespace

Scenario parse_scenario(const std::string& text, const std::string& file,
                        const std::vector<std::string>& overrides, const PluginRegistry& plugins) {
  auto source = std::make_shared<ConfigSource>();
  source->file = file;
  YAML::Node document = parse_yaml(text, file);
  if ((!document.IsDefined() || document.IsNull()) && overrides.empty())
    throw UserError(file,
                    "empty scenario: expected a mapping with at least 'duration' (see "
                    "docs/scenario.md)");
  if (document.IsDefined() && !document.IsNull() && !document.IsMap())
    throw UserError(file, fmt::format("expected a mapping of scenario keys at the top level, "
                                      "got {}",
                                      describe_yaml(document)));
  apply_overrides(document, overrides, *source);

  Scenario s;
  s.file = file;
  YAML::Node resolved(YAML::NodeType::Map);
  ConfigNode root(document, source, "", resolved);
  s.seed = static_cast<uint64_t>(root.get<int64_t>("seed", 1, int_at_least(0)));
  s.duration = root.required<double>("duration", in_range(1e-6, 1e9));
  read_data(root.child("data"), s);
  read_model(root.child("model"), s);
  auto pretrain = root.child("pretrain");
  s.pretrain = read_train_options(pretrain, s.pretrain, s.seed);
  s.pretrain_cache = pretrain.get<bool>("cache", true);
  pretrain.finish();
  read_streams(root, s);
  read_attackers(root, s, plugins);
  read_retrain(root.child("retrain"), s);
  s.guard = read_guard(root, plugins, s.model.kind);
  s.sanitize = read_sanitize(root, plugins, s.model.kind, s.guard.make_guard()->size());
  s.gate.type = read_plugin(root.child("gate"), plugins.gates, s.gate.make_gate);
  auto evaluation = root.child("evaluation");
  s.evaluation.interval =
      evaluation.get<double>("interval", s.evaluation.interval, tick_interval(s.duration));
  s.evaluation.test_samples =
      evaluation.optional<int64_t>("test_samples", int_at_least(1)).value_or(-1);
  evaluation.finish();
  auto trace = root.child("trace");
  s.trace.samples = trace.get<bool>("samples", true);
  s.trace.compression = trace.get<int64_t>("compression", 4, int_in_range(0, 9));
  s.trace.chunk_rows = trace.get<int64_t>("chunk_rows", 4096, int_in_range(16, 1 << 20));
  s.trace.flush_seconds = trace.get<double>("flush_seconds", 30.0, greater_than(0.0));
  trace.finish();
  auto compute = root.child("compute");
  s.train_threads = compute.get<int64_t>("train_threads", 2, int_in_range(1, 256));
  s.numerics = compute.get_enum("numerics", NumericsMode::portable, numerics_mode_names());
  compute.finish();
  s.sweep = read_sweep_block(root, s.seed);
  root.finish();
  check_run_limits(s);

  YAML::Emitter out;
  out << resolved;
  s.resolved_yaml = std::string(out.c_str()) + "\n";
  return s;
}

std::string read_scenario_text(const std::string& path) {
  require_regular_file(path, "a YAML scenario file");
  std::ifstream in(path, std::ios::binary);
  if (!in) throw UserError(path, "cannot open the scenario file");
  std::string text;
  char buffer[65536];
  while (in.read(buffer, sizeof buffer) || in.gcount() > 0) {
    text.append(buffer, static_cast<size_t>(in.gcount()));
    if (text.size() > kMaxScenarioBytes)
      throw UserError(path,
                      fmt::format("larger than {} bytes: not a scenario file", kMaxScenarioBytes));
  }
  return text;
}

Scenario load_scenario(const std::string& path, const std::vector<std::string>& overrides,
                       const PluginRegistry& plugins) {
  return parse_scenario(read_scenario_text(path), path, overrides, plugins);
}

}  // namespace poisonsim
