#include "pipeline/simulation/simulation.h"

#include <limits>

#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <tbb/global_control.h>
#include <tbb/info.h>
#include <nlohmann/json.hpp>

#include "pipeline/model/training.h"
#include "pipeline/runtime/compute_threads.h"
#include "pipeline/runtime/numeric_runtime.h"
#include "pipeline/simulation/accumulative_doser.h"
#include "pipeline/simulation/candidate_judgement.h"
#include "pipeline/simulation/defense_tally.h"
#include "pipeline/simulation/deployment.h"
#include "pipeline/simulation/guard_context.h"
#include "pipeline/simulation/ingestion.h"
#include "pipeline/simulation/processes.h"
#include "pipeline/simulation/retrain_buffer.h"
#include "pipeline/simulation/retrain_policy.h"
#include "pipeline/simulation/run_data.h"
#include "pipeline/simulation/run_trace.h"
#include "pipeline/simulation/window_sanitizing.h"
#include "pipeline/trace/trace_rows.h"
#include "pipeline/trace/trace_writer.h"
#include "sim/kernel/state_archive.h"
#include "sim/util/progress.h"
#include "sim/util/stage_times.h"
#include "sim/util/stop_signal.h"

namespace poisonsim {
namespace {

// Pending samples beyond this are scored early (same results, bounded memory).
constexpr size_t kMaxPendingSamples = 1 << 17;

size_t history_needed(const Scenario& s) {
  size_t needed = 0;
  for (const auto& a : s.attackers)
    if (a.knowledge.kind == KnowledgeKind::stale)
      needed = std::max(needed, static_cast<size_t>(a.knowledge.stale_retrains));
  return needed;
}

// Runs `fn` as one stage of the run (member initialisers that must be timed).
template <class Fn>
auto timed(StageTimes& stages, const char* stage, Fn&& fn) {
  StageTimes::Scope scope(&stages, stage);
  return fn();
}

}  // namespace

struct Simulation::State : SimulationHost {
  StageTimes stages_;  // first: it times the loading and pretraining below
  const Scenario& scenario;
  SimulationOptions options;
  tbb::global_control threads;
  RunData data;
  Deployment deployment_;
  RetrainPolicy retrain_policy;  // after deployment_: a retrain from base copies its first model
  std::unique_ptr<GuardChain> guard;
  DeploymentGuardContext guard_context;  // what the guard's stages may use (features, trusted)
  KnownDefense known_defense_;           // the guard as white-box attackers copy it
  std::unique_ptr<SanitizerChain> sanitizers;  // `sanitize:`; null without one
  DefenseTally defense_tally;                  // each stage's verdicts by ground truth, per window
  std::unique_ptr<RetrainGate> gate;
  RetrainBuffer buffer;
  std::unique_ptr<TraceWriter> trace;
  // What the run observes goes to the recorder, which hands it to the trace and to the metrics
  // the run's summary reports (pipeline/trace/row_sink.h).
  RunMetricsSink metrics;
  std::unique_ptr<RowFanout> recorder;
  std::unique_ptr<Ingestion> ingestion;
  sim::Kernel kernel;
  TickProcess* retrainer = nullptr;
  Evaluation deployed_on_validation;
  // The deployed model's clean test accuracy, for the retrains table's test_accuracy_before.
  Evaluation deployed_on_test;
  // Scores each retrain's candidate on the test set with the serving engine, as evaluations
  // score the deployed model (faster than LibTorch, docs/performance.md); only its weights change
  // per retrain.
  std::unique_ptr<Deployment> candidate_scorer;
  int64_t next_batch_id = 0;
  bool retrain_requested = false;
  int64_t retrains_done = 0;    // names each retrain's random streams and its row's index
  double last_deploy_time = 0;  // the initial model counts as deployed at 0
  RunSummary summary;

  // `resume`: the run continues from this checkpoint (named `where` in errors).
  State(const Scenario& s, SimulationOptions o, const CheckpointFile* resume = nullptr,
        const std::string& where = "")
      : scenario(s),
        options(std::move(o)),
        threads(tbb::global_control::max_allowed_parallelism,
                options.threads > 0 ? static_cast<size_t>(options.threads)
                                    : tbb::info::default_concurrency()),
        data(timed(stages_, "data loading", [&] { return load_run_data(s); })),
        // A resumed run's weights come from the checkpoint: no pretraining.
        deployment_(resume ? TargetModel::create(s.model, s.seed)
                           : timed(stages_, "pretraining", [&] { return initial_model(s, data); }),
                    history_needed(s)),
        retrain_policy(s.retrain, deployment_.model()),
        guard(s.guard.make_guard()),
        guard_context(deployment_, data.pretrain, s.seed),
        known_defense_(s.guard, data.pretrain, s.seed),
        sanitizers(s.sanitize.make_chain ? s.sanitize.make_chain() : nullptr),
        defense_tally(defense_stages(*guard, sanitizers.get())),
        gate(s.gate.make_gate()),
        buffer(data.pretrain.shape, data.pretrain.num_classes, s.retrain.buffer_capacity,
               s.retrain.eviction, RandomStream(s.seed, "retrain/buffer")),
        metrics(s.trace.samples) {
    buffer.set_window_limit(s.retrain.keep_windows);
    set_torch_threads(static_cast<int>(s.train_threads));
    trace = create_run_trace(s, options.trace_path, options.threads);
    recorder = std::make_unique<RowFanout>(std::vector<RowSink*>{trace.get(), &metrics});
    guard->attach(guard_context);
    if (sanitizers) sanitizers->attach(guard_context);
    ingestion = std::make_unique<Ingestion>(deployment_, *guard, buffer, *recorder, defense_tally,
                                            s.trace.samples);
    build_processes(resume != nullptr);
    if (resume) {
      // The saved rows go through the recorder: the metrics count them as the run did.
      restore_trace_rows(*resume, where, options.trace_path + ".rows", *recorder);
      ingestion->set_recorded_rows(trace->rows("samples"));
      StateIn in(resume->state, where);
      load_state(in);
      in.expect_end();
    } else {
      deployed_on_validation = evaluate(deployment_.model(), data.validation);
      deployed_on_test = on_test(deployment_);
    }
    candidate_scorer = std::make_unique<Deployment>(deployment_.model().clone(), 0);
  }

  Evaluation on_test(const Deployment& scorer) const {
    return summarize(scorer.score_parallel(data.test), data.test.labels);
  }

  // Everything the run changes, in a fixed order (docs/architecture.md, Checkpoints).
  // The run's own counters, one list for saving (const State) and loading.
  template <class Self, class Archive>
  static void own_fields(Self& self, Archive& archive) {
    archive.section("simulation");
    archive(self.next_batch_id, self.retrain_requested, self.retrains_done, self.last_deploy_time,
            self.deployed_on_validation.accuracy, self.deployed_on_validation.mean_loss,
            self.deployed_on_validation.samples, self.deployed_on_test.accuracy,
            self.deployed_on_test.mean_loss, self.deployed_on_test.samples);
  }
  void save_state(StateOut& out) const {
    own_fields(*this, out);
    deployment_.save_state(out);
    retrain_policy.save_state(out);
    out.section("guard");
    guard->save_state(out);
    // Only a scenario with sanitizers has the section: the others keep their layout.
    if (sanitizers) {
      out.section("sanitize");
      sanitizers->save_state(out);
    }
    out.section("gate");
    gate->save_state(out);
    buffer.save_state(out);
    ingestion->save_state(out);
    defense_tally.save_state(out);
    kernel.save_state(out);
  }
  void load_state(StateIn& in) {
    own_fields(*this, in);
    deployment_.load_state(in);
    retrain_policy.load_state(in);
    in.section("guard");
    guard->load_state(in);
    if (sanitizers) {
      in.section("sanitize");
      sanitizers->load_state(in);
    }
    in.section("gate");
    gate->load_state(in);
    buffer.load_state(in);
    ingestion->load_state(in);
    defense_tally.load_state(in);
    kernel.restore_state(in);
  }
  // Pending arrivals are saved unscored: scoring them now would show guard-aware attackers
  // verdicts earlier than an uninterrupted run does.
  void checkpoint() {
    flush_trace();
    StageTimes::Scope scope(&stages_, "checkpoints");
    StateOut out;
    save_state(out);
    write_checkpoint(options.checkpoints, scenario.resolved_yaml, kernel.now(), out.bytes(),
                     options.trace_path);
  }

  StageTimes& stages() override { return stages_; }
  // Scores what arrived since the last flush and passes it through the guard into the buffer.
  void flush_ingestion() {
    StageTimes::Scope scope(&stages_, "scoring and guard");
    ingestion->flush();
  }
  void flush_trace() {
    StageTimes::Scope scope(&stages_, "trace writing");
    trace->flush();
  }

  const Deployment& deployment() const override { return deployment_; }
  double guard_threshold() const override { return guard->threshold(); }

  const GuardEvidence* guard_evidence(const std::string& source) const override {
    return ingestion->evidence(source);
  }
  int64_t retrains_so_far() const override { return retrains_done; }
  const KnownDefense& known_defense() const override { return known_defense_; }
  void record_event(const EventRow& row) override { recorder->add_event(row); }
  double deployed_at() const override { return last_deploy_time; }
  std::optional<double> next_retrain_at() const override {
    const auto& r = scenario.retrain;
    if (r.trigger != RetrainTrigger::interval) return std::nullopt;
    return static_cast<double>(retrains_done + 1) * r.interval;
  }

  // `resuming`: surrogates are not trained, their weights come from the checkpoint.
  void build_processes(bool resuming) {
    for (const auto& stream : scenario.streams)
      kernel.add(std::make_unique<StreamProcess>(stream, data.stream_pool, scenario.seed, *this));
    for (const auto& attacker : scenario.attackers) {
      std::optional<TargetModel> surrogate;
      if (attacker.knowledge.kind == KnowledgeKind::surrogate)
        surrogate = resuming ? TargetModel::create(scenario.model, scenario.seed)
                             : timed(stages_, "surrogate training",
                                     [&] { return train_surrogate(scenario, attacker, data); });
      AttackerSpec spec = attacker;
      resolve_accumulate(spec, scenario);
      kernel.add(std::make_unique<AttackerProcess>(std::move(spec), data.attacker_pool,
                                                   data.attacker_validation, scenario.seed, *this,
                                                   std::move(surrogate)));
    }
    const auto& r = scenario.retrain;
    std::optional<double> first_retrain;
    if (r.trigger == RetrainTrigger::interval) first_retrain = r.interval;
    auto retrain_tick = std::make_unique<TickProcess>("retrain", first_retrain, r.interval,
                                                      kRetrainPriority, [this] { retrain(); });
    retrainer = retrain_tick.get();
    kernel.add(std::move(retrain_tick));
    kernel.add(std::make_unique<TickProcess>("evaluation", 0.0, scenario.evaluation.interval,
                                             kEvaluationPriority, [this] { evaluate_tick(); }));
  }

  void arrive(ArrivingBatch batch) override {
    batch.batch_id = next_batch_id++;
    ingestion->submit(std::move(batch));
    const auto& r = scenario.retrain;
    const bool may_fill =
        r.trigger == RetrainTrigger::buffer && !retrain_requested &&
        buffer.size() + ingestion->pending_samples() >= static_cast<size_t>(r.min_samples);
    if (may_fill || ingestion->pending_samples() > kMaxPendingSamples) flush_ingestion();
    if (r.trigger == RetrainTrigger::buffer && !retrain_requested &&
        buffer.size() >= static_cast<size_t>(r.min_samples)) {
      retrain_requested = true;
      retrainer->request(kernel);
    }
  }

  void retrain() {
    flush_ingestion();
    if (sanitizers) {
      StageTimes::Scope scope(&stages_, "sanitizing");
      // Candidates for the per-source gate share one seed: their differences are the data's.
      const auto seed =
          derive_seed(scenario.seed, fmt::format("retrain/{}/subsets", retrains_done));
      sanitize_window(
          *sanitizers, guard_context, defense_tally, buffer, *recorder, kernel.now(),
          [&](const Dataset& subset) {
            const Evaluation e = evaluate(
                retrain_policy.candidate(deployment_.model(), subset, data.validation, seed),
                data.validation);
            return WindowValidation{e.mean_loss, e.accuracy};
          });
    }
    defense_tally.close_window(*recorder, kernel.now(), retrains_done);
    StageTimes::Scope stage(&stages_, "retraining");
    retrain_requested = false;
    RetrainRow row;
    row.time = kernel.now();
    row.index = retrains_done++;
    Dataset with_replay;
    const Dataset& set = retraining_set(
        buffer, data.pretrain, scenario.retrain.replay,
        // The stream is named by the count of retrains including this one (as it always was).
        RandomStream(scenario.seed, fmt::format("retrain/replay/{}", retrains_done)), with_replay);
    row.buffer_size = static_cast<int64_t>(set.size());
    row.poison_in_buffer = buffer.poison_count();
    row.poison_fraction = buffer.size() ? static_cast<double>(row.poison_in_buffer) /
                                              static_cast<double>(buffer.size())
                                        : 0.0;
    row.validation_loss_before = deployed_on_validation.mean_loss;
    row.validation_accuracy_before = deployed_on_validation.accuracy;
    row.test_accuracy_before = deployed_on_test.accuracy;
    JudgedCandidate judged =
        judge_candidate(retrain_policy, deployment_.model(), set,
                        derive_seed(scenario.seed, fmt::format("retrain/{}", row.index)),
                        data.validation, data.test, *candidate_scorer, *gate, row);
    if (judged.allowed) {
      deployment_.deploy(std::move(*judged.allowed));
      last_deploy_time = kernel.now();
      deployed_on_validation = judged.on_validation;
      deployed_on_test = judged.on_test;
      guard->on_deploy();
      if (sanitizers) sanitizers->on_deploy();
      row.deployed = 1;
    }
    row.model_version = deployment_.version();
    if (scenario.retrain.clear_after_retrain)
      buffer.clear();
    else
      buffer.end_window();
    recorder->add_retrain(row);
    auto event = system_event(kernel.now(), "retrain");
    event.size = row.buffer_size;
    recorder->add_event(event);
    flush_trace();  // a killed run keeps everything up to its last retrain
  }

  void evaluate_tick() {
    flush_ingestion();  // keeps the events table in time order
    StageTimes::Scope stage(&stages_, "evaluation");
    const Evaluation result = on_test(deployment_);
    EvaluationRow row;
    row.time = kernel.now();
    row.model_version = deployment_.version();
    row.samples = result.samples;
    row.accuracy = result.accuracy;
    row.loss = result.mean_loss;
    recorder->add_evaluation(row);
    auto event = system_event(kernel.now(), "evaluation");
    event.size = row.samples;
    recorder->add_event(event);
    flush_trace();  // live readers see each evaluation
  }
};

Simulation::Simulation(const Scenario& scenario, SimulationOptions options)
    : state_(std::make_unique<State>(scenario, std::move(options))) {}

Simulation::Simulation(const Scenario& scenario, SimulationOptions options,
                       const CheckpointFile& checkpoint, const std::string& where)
    : state_(std::make_unique<State>(scenario, std::move(options), &checkpoint, where)) {}

Simulation::~Simulation() = default;

RunSummary Simulation::run() {
  auto& st = *state_;
  const double duration = st.scenario.duration;
  Progress progress(
      "simulate", duration, "s simulated",
      st.options.show_progress ? Progress::Style::automatic : Progress::Style::silent);
  auto& summary = st.summary;
  // The run's state as the summary will report it: the last evaluation's accuracy, as
  // `poisonsim run` prints it at the end ("at the end"), with the same four decimals.
  const auto status = [&st] {
    return fmt::format("model v{}, accuracy {:.4f}, buffer {}", st.deployment_.version(),
                       st.metrics.last_evaluation() ? st.metrics.last_evaluation()->accuracy : 0.0,
                       st.buffer.size());
  };
  // A stop signal takes effect before the next event, which stays queued: everything before is
  // in the trace, and the stop waits for the step in progress only, not for the next one too.
  const auto stop_requested = [] { return stop_signal() != 0; };
  const auto on_event = [&](const sim::Event& event) {
    progress.update(event.time, status());
    // Rows recorded since the last tick reach live readers too. (Not scoring early: attackers
    // that estimate the guard see verdicts only as they are scored.)
    if (st.trace->flush_due()) st.flush_trace();
  };
  // Checkpoints fall between events: the run stops the kernel at each checkpoint time (the
  // events at that time included) and goes on, which orders events exactly as one long run.
  const auto& plan = st.options.checkpoints;
  const double every = plan.path.empty() ? 0.0 : plan.every;
  double next_checkpoint = every > 0 ? next_checkpoint_time(st.kernel.now(), every) : duration;
  while (true) {
    st.kernel.run(std::min(duration, next_checkpoint), on_event, stop_requested);
    if (stop_signal() != 0 || next_checkpoint >= duration) break;
    st.checkpoint();
    next_checkpoint = next_checkpoint_time(next_checkpoint, every);
  }
  summary.stopped_by = stop_signal();
  const double end = summary.stopped_by ? st.kernel.now() : duration;
  // A complete run's bar ends at 100%, a stopped one where it stopped; its status is taken after
  // the last event (the evaluation at the end), not before it.
  progress.update(end, status());
  progress.finish();
  if (summary.stopped_by && !plan.path.empty()) st.checkpoint();  // resume from here
  st.flush_ingestion();
  st.defense_tally.close_window(*st.recorder, end, -1);  // the arrivals after the last retrain
  st.recorder->add_event(system_event(end, summary.stopped_by ? "stopped" : "end"));
  st.flush_trace();
  // The wall time from the start of data loading, and the stages it went to, read together.
  summary.stage_seconds = st.stages_.seconds();
  summary.wall_seconds = st.stages_.elapsed();
  nlohmann::ordered_json stage_json = nlohmann::ordered_json::object();
  for (const auto& [stage, seconds] : summary.stage_seconds) stage_json[stage] = seconds;
  st.trace->set_attribute("stage_seconds", stage_json.dump());
  st.trace->set_attribute("defense_seconds",
                          st.defense_tally.seconds_json(*st.guard, st.sanitizers.get()));
  if (summary.stopped_by) {
    st.trace->set_attribute("stopped", fmt::format("{} at simulated time {:.3f} s of {}",
                                                   signal_name(summary.stopped_by), end, duration));
    st.trace->close_incomplete();
  } else {
    st.trace->close();
  }
  progress.finish();
  summary.trace_path = st.options.trace_path;
  summary.duration = end;
  summary.events = st.metrics.events();
  summary.metrics = st.metrics.metrics();
  summary.sources = st.metrics.sources();
  return summary;
}

void Simulation::record_finished() const {
  const auto& st = *state_;
  record_finished_run(st.options.checkpoints, st.scenario.resolved_yaml, st.scenario.duration);
}

}  // namespace poisonsim
