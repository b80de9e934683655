#pragma once
// The simulation's processes: public data streams, attackers, and periodic ticks (retrain,
// evaluation). Each is an object whose state (random stream, position, counters) lives in
// members, so a run can later be checkpointed.
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "pipeline/scenario/scenario.h"
#include "pipeline/simulation/ingestion.h"
#include "pipeline/simulation/known_defense.h"
#include "pipeline/trace/trace_rows.h"
#include "sim/kernel/kernel.h"
#include "sim/kernel/random_stream.h"

namespace poisonsim {

class Deployment;

// Event priorities at equal times: arrivals first, then retrains, then evaluations.
enum EventPriority : int32_t {
  kArrivalPriority = 0,
  kRetrainPriority = 10,
  kEvaluationPriority = 20
};

// What processes may ask of the simulation.
class SimulationHost {
 public:
  virtual ~SimulationHost() = default;
  // Numbers the batch, queues it for scoring and checks whether the buffer calls a retrain.
  virtual void arrive(ArrivingBatch batch) = 0;
  virtual const Deployment& deployment() const = 0;
  // For guard-aware attackers: the guard's threshold in force now (NaN when it has none), and
  // the verdicts on one source's samples judged so far (null before the first).
  virtual double guard_threshold() const = 0;
  virtual const GuardEvidence* guard_evidence(const std::string& source) const = 0;
  // The run's wall time by stage (sim/util/stage_times.h).
  virtual StageTimes& stages() = 0;
  // The retraining schedule as an attacker's timing sees it: retrains done so far (the current
  // window's number), when the deployed model was deployed (0: the initial one), and when the
  // next retrain is due (none without a schedule: trigger buffer).
  virtual int64_t retrains_so_far() const = 0;
  virtual double deployed_at() const = 0;
  virtual std::optional<double> next_retrain_at() const = 0;
  // The guard chain as a white-box attacker knows it (`defense_aware: known`).
  virtual const KnownDefense& known_defense() const = 0;
  // Adds a row to the events table (an attacker's phase: pipeline/simulation/accumulative_doser.h).
  virtual void record_event(const EventRow& row) = 0;
};

// Time to the next arrival of a fixed-rate or Poisson process.
double next_interarrival(const ArrivalSpec& arrival, RandomStream& rng);

class StreamProcess : public sim::Process {
 public:
  StreamProcess(StreamSpec spec, const Dataset& pool, uint64_t seed, SimulationHost& host);
  const std::string& name() const override { return spec_.name; }
  void start(sim::Kernel& kernel) override;
  void handle(sim::Kernel& kernel, const sim::Event& event) override;
  void save_state(StateOut& out) const override;
  void load_state(StateIn& in) override;

 private:
  void schedule_next(sim::Kernel& kernel, double from);
  size_t next_index();

  StreamSpec spec_;
  const Dataset& pool_;
  // One stream per kind of decision (docs/architecture.md, Determinism): arrival times never
  // depend on how many samples were drawn or relabelled, nor the reverse.
  RandomStream arrival_rng_;
  RandomStream sample_rng_;
  RandomStream label_noise_rng_;
  SimulationHost& host_;
  std::vector<size_t> order_;  // a shuffled pass over the pool, walked in order
  size_t position_ = 0;
};

class AttackerProcess : public sim::Process {
 public:
  AttackerProcess(AttackerSpec spec, const Dataset& pool, const Dataset& validation, uint64_t seed,
                  SimulationHost& host, std::optional<TargetModel> surrogate);
  ~AttackerProcess() override;
  const std::string& name() const override { return spec_.name; }
  void start(sim::Kernel& kernel) override;
  void handle(sim::Kernel& kernel, const sim::Event& event) override;
  int64_t poisoned() const { return poisoned_; }
  // With the generator's state and the surrogate's weights.
  void save_state(StateOut& out) const override;
  void load_state(StateIn& in) override;

 private:
  void schedule_next(sim::Kernel& kernel, double from);
  const TargetModel& known_model() const;
  // spec_.timing allows sending at `now` (with `verdicts`, it decides: verdicts_allow()).
  bool timing_allows(double now);
  // timing: verdicts: whether this arrival sends, from the guard's verdicts on the attacker's
  // samples judged since the last decision (records a row when it starts or stops holding back).
  bool verdicts_allow(double now);
  int64_t known_version() const;

  AttackerSpec spec_;
  const Dataset& pool_;
  const Dataset& validation_;
  // Arrival times on their own stream: the generator's draws depend on how often it retrains,
  // which depends on the gate's floating-point decisions, and must not move the arrivals.
  RandomStream arrival_rng_;
  RandomStream poison_rng_;
  SimulationHost& host_;
  std::unique_ptr<PoisonGenerator> generator_;
  std::optional<TargetModel> surrogate_;
  // budget_per_window: the window (retrains done) its spending counts in, and the spending.
  int64_t window_ = 0;
  int64_t spent_in_window_ = 0;
  int64_t poisoned_ = 0;
  // timing: verdicts: holding back or not, arrivals skipped since the last decision, and the
  // guard's counts of accepted and rejected samples of this attacker at that decision.
  bool holding_ = false;
  int64_t held_ = 0;
  int64_t seen_accepted_ = 0;
  int64_t seen_rejected_ = 0;
};

// Calls `action` at first, first + interval, ... (within the run's horizon); with no interval
// it only runs when asked (request()).
class TickProcess : public sim::Process {
 public:
  TickProcess(std::string name, std::optional<double> first, double interval, int32_t priority,
              std::function<void()> action);
  const std::string& name() const override { return name_; }
  void start(sim::Kernel& kernel) override;
  void handle(sim::Kernel& kernel, const sim::Event& event) override;
  // Runs the action once more at the current time, after the events already due now.
  void request(sim::Kernel& kernel);

 private:
  std::string name_;
  std::optional<double> first_;
  double interval_;
  int32_t priority_;
  std::function<void()> action_;
};

}  // namespace poisonsim
