#include "pipeline/simulation/processes.h"

#include <numeric>

#include "pipeline/plugins/guard_evidence.h"
#include "pipeline/simulation/accumulative_doser.h"
#include "pipeline/simulation/deployment.h"
#include "pipeline/simulation/poison_reserve.h"
#include "pipeline/trace/trace_rows.h"
#include "sim/util/error.h"
#include "sim/util/stage_times.h"
#include "sim/kernel/state_archive.h"

namespace poisonsim {

double next_interarrival(const ArrivalSpec& arrival, RandomStream& rng) {
  return arrival.kind == ArrivalKind::fixed ? 1.0 / arrival.rate : rng.exponential(arrival.rate);
}

// ---- StreamProcess ----

StreamProcess::StreamProcess(StreamSpec spec, const Dataset& pool, uint64_t seed,
                             SimulationHost& host)
    : spec_(std::move(spec)),
      pool_(pool),
      arrival_rng_(seed, "stream/" + spec_.name + "/arrivals"),
      sample_rng_(seed, "stream/" + spec_.name + "/samples"),
      label_noise_rng_(seed, "stream/" + spec_.name + "/label-noise"),
      host_(host) {
  order_.resize(pool_.size());
  std::iota(order_.begin(), order_.end(), size_t{0});
  position_ = order_.size();  // shuffle on first use
}

void StreamProcess::start(sim::Kernel& kernel) { schedule_next(kernel, spec_.start); }

void StreamProcess::schedule_next(sim::Kernel& kernel, double from) {
  const double at = from + next_interarrival(spec_.arrival, arrival_rng_);
  if (spec_.stop && at >= *spec_.stop) return;
  kernel.schedule_at(at, id(), 0, kArrivalPriority);
}

size_t StreamProcess::next_index() {
  if (position_ == order_.size()) {
    sample_rng_.shuffle(order_.begin(), order_.end());
    position_ = 0;
  }
  return order_[position_++];
}

void StreamProcess::save_state(StateOut& out) const {
  out.put(arrival_rng_);
  out.put(sample_rng_);
  out.put(label_noise_rng_);
  out(order_, static_cast<uint64_t>(position_));
}

void StreamProcess::load_state(StateIn& in) {
  in.get(arrival_rng_);
  in.get(sample_rng_);
  in.get(label_noise_rng_);
  uint64_t position = 0;
  in(order_, position);
  position_ = static_cast<size_t>(position);
  bool in_pool = order_.size() == pool_.size() && position_ <= order_.size();
  for (size_t i : order_) in_pool = in_pool && i < pool_.size();
  if (!in_pool)
    throw UserError(in.where(),
                    "the saved order of stream " + spec_.name + " does not fit its pool");
}

void StreamProcess::handle(sim::Kernel& kernel, const sim::Event&) {
  std::vector<size_t> indices(static_cast<size_t>(spec_.batch_size));
  for (auto& i : indices) i = next_index();
  ArrivingBatch batch;
  batch.time = kernel.now();
  batch.source = spec_.name;
  batch.samples = pool_.subset(indices, spec_.name);
  batch.true_labels = batch.samples.labels;
  for (auto& label : batch.samples.labels)
    if (spec_.label_noise > 0 && label_noise_rng_.uniform() < spec_.label_noise)
      label = random_other_class(label, pool_.num_classes, label_noise_rng_);
  host_.arrive(std::move(batch));
  schedule_next(kernel, kernel.now());
}

// ---- AttackerProcess ----

namespace {
std::unique_ptr<PoisonGenerator> make_generator(const AttackerSpec& spec) {
  auto generator = spec.make_generator();
  if (spec.accumulate) return std::make_unique<AccumulativeDoser>(std::move(generator),
                                                                  *spec.accumulate);
  if (spec.generate_ahead == 0) return generator;
  return std::make_unique<PoisonReserve>(std::move(generator), spec.generate_ahead);
}
}  // namespace

AttackerProcess::AttackerProcess(AttackerSpec spec, const Dataset& pool, const Dataset& validation,
                                 uint64_t seed, SimulationHost& host,
                                 std::optional<TargetModel> surrogate)
    : spec_(std::move(spec)),
      pool_(pool),
      validation_(validation),
      arrival_rng_(seed, "attacker/" + spec_.name + "/arrivals"),
      poison_rng_(seed, "attacker/" + spec_.name + "/poison"),
      host_(host),
      generator_(make_generator(spec_)),
      surrogate_(std::move(surrogate)) {}

AttackerProcess::~AttackerProcess() = default;

void AttackerProcess::start(sim::Kernel& kernel) { schedule_next(kernel, spec_.start); }

void AttackerProcess::save_state(StateOut& out) const {
  out.put(arrival_rng_);
  out.put(poison_rng_);
  out(poisoned_, window_, spent_in_window_, surrogate_.has_value());
  if (spec_.timing == AttackTiming::verdicts) out(holding_, held_, seen_accepted_, seen_rejected_);
  if (surrogate_) out(surrogate_->state());
  generator_->save_state(out);
}

void AttackerProcess::load_state(StateIn& in) {
  in.get(arrival_rng_);
  in.get(poison_rng_);
  bool has_surrogate = false;
  in(poisoned_, window_, spent_in_window_, has_surrogate);
  if (spec_.timing == AttackTiming::verdicts) in(holding_, held_, seen_accepted_, seen_rejected_);
  if (has_surrogate != surrogate_.has_value())
    throw UserError(in.where(),
                    "attacker " + spec_.name + "'s knowledge differs from the scenario's");
  if (surrogate_) {
    std::vector<std::vector<float>> values;
    in(values);
    surrogate_->set_state(values, in.where());
  }
  generator_->load_state(in);
}

void AttackerProcess::schedule_next(sim::Kernel& kernel, double from) {
  if (spec_.budget && poisoned_ >= *spec_.budget) return;
  if (generator_->exhausted()) return;
  const double at = from + next_interarrival(spec_.arrival, arrival_rng_);
  if (spec_.stop && at >= *spec_.stop) return;
  kernel.schedule_at(at, id(), 0, kArrivalPriority);
}

const TargetModel& AttackerProcess::known_model() const {
  switch (spec_.knowledge.kind) {
    case KnowledgeKind::surrogate:
      return *surrogate_;
    case KnowledgeKind::stale:
      return host_.deployment().past(static_cast<size_t>(spec_.knowledge.stale_retrains));
    case KnowledgeKind::current:
      break;
  }
  return host_.deployment().model();
}

int64_t AttackerProcess::known_version() const {
  const int64_t current = host_.deployment().version();
  switch (spec_.knowledge.kind) {
    case KnowledgeKind::surrogate:
      return 0;
    case KnowledgeKind::stale:
      return std::max<int64_t>(0, current - spec_.knowledge.stale_retrains);
    case KnowledgeKind::current:
      break;
  }
  return current;
}

bool AttackerProcess::timing_allows(double now) {
  switch (spec_.timing) {
    case AttackTiming::before_retrain: {
      const auto next = host_.next_retrain_at();
      return next && *next - now <= spec_.timing_span;
    }
    case AttackTiming::after_deploy:
      return now - host_.deployed_at() <= spec_.timing_span;
    case AttackTiming::verdicts:
      return verdicts_allow(now);
    case AttackTiming::uniform:
      break;
  }
  return true;
}

// The verdicts on the samples judged since the last decision decide, when there are any (a batch
// still in the ingestion, or none sent since, leaves the decision as it was): send while at least
// timing_min_acceptance of them were accepted, else hold back, sending one probe batch every
// timing_probe_every arrivals so that fresh verdicts can end the hold.
bool AttackerProcess::verdicts_allow(double now) {
  if (const GuardEvidence* evidence = host_.guard_evidence(spec_.name)) {
    const int64_t accepted = evidence->accepted() - seen_accepted_;
    const int64_t judged = accepted + evidence->rejected() - seen_rejected_;
    if (judged > 0) {
      const bool hold = static_cast<double>(accepted) <
                        spec_.timing_min_acceptance * static_cast<double>(judged);
      if (hold != holding_) {
        EventRow row;
        row.time = now;
        set_trace_name(row.kind, hold ? "timing-hold" : "timing-send");
        set_trace_name(row.source, spec_.name);
        row.size = judged;
        row.accepted = accepted;
        row.rejected = judged - accepted;
        host_.record_event(row);
      }
      holding_ = hold;
      held_ = 0;
      seen_accepted_ = evidence->accepted();
      seen_rejected_ = evidence->rejected();
    }
  }
  if (!holding_) return true;
  return ++held_ % spec_.timing_probe_every == 0;
}

void AttackerProcess::handle(sim::Kernel& kernel, const sim::Event&) {
  int64_t count = spec_.batch_size;
  if (spec_.budget) count = std::min(count, *spec_.budget - poisoned_);
  if (host_.retrains_so_far() != window_) {
    window_ = host_.retrains_so_far();
    spent_in_window_ = 0;
  }
  if (spec_.budget_per_window)
    count = std::min(count, *spec_.budget_per_window - spent_in_window_);
  // An arrival outside the timing span, or with the window's budget spent, sends nothing.
  if (count <= 0 || !timing_allows(kernel.now())) {
    schedule_next(kernel, kernel.now());
    return;
  }
  AttackContext context{known_model(), pool_,        validation_,
                        poison_rng_,   kernel.now(), known_version()};
  context.guard_threshold = host_.guard_threshold();
  context.guard_evidence = host_.guard_evidence(spec_.name);
  context.stages = &host_.stages();
  context.window = host_.retrains_so_far();
  context.record_phase = [&](const std::string& kind, int64_t size) {
    EventRow row;
    row.time = kernel.now();
    set_trace_name(row.kind, kind);
    set_trace_name(row.source, spec_.name);
    row.size = size;
    host_.record_event(row);
  };
  PoisonBatch poison = [&] {
    StageTimes::Scope stage(context.stages, "poison generation");
    return generator_->generate(context, count);
  }();
  if (spec_.defense_aware == DefenseKnowledge::known && !poison.samples.empty()) {
    StageTimes::Scope stage(context.stages, "defense-aware projection");
    host_.known_defense().project(known_model(), poison.samples, poison.seeds);
  }
  poisoned_ += static_cast<int64_t>(poison.samples.size());
  spent_in_window_ += static_cast<int64_t>(poison.samples.size());
  if (poison.samples.empty()) {
    // Nothing to send now (an accumulative attacker's dose is spent) or ever again (exhausted).
    if (!generator_->exhausted()) schedule_next(kernel, kernel.now());
    return;
  }
  ArrivingBatch batch;
  batch.time = kernel.now();
  batch.source = spec_.name;
  batch.is_poison = true;
  batch.samples = std::move(poison.samples);
  batch.true_labels = std::move(poison.seeds.labels);
  host_.arrive(std::move(batch));
  schedule_next(kernel, kernel.now());
}

// ---- TickProcess ----

TickProcess::TickProcess(std::string name, std::optional<double> first, double interval,
                         int32_t priority, std::function<void()> action)
    : name_(std::move(name)),
      first_(first),
      interval_(interval),
      priority_(priority),
      action_(std::move(action)) {}

namespace {
constexpr int64_t kRequested = -1;  // payload of an on-demand tick
}  // namespace

void TickProcess::start(sim::Kernel& kernel) {
  if (first_) kernel.schedule_at(*first_, id(), 0, priority_, /*payload=*/0);
}

void TickProcess::request(sim::Kernel& kernel) {
  kernel.schedule_at(kernel.now(), id(), 0, priority_, kRequested);
}

void TickProcess::handle(sim::Kernel& kernel, const sim::Event& event) {
  action_();
  if (event.payload == kRequested || !first_ || interval_ <= 0) return;
  // Tick k is at first + k * interval (no drift from repeated addition).
  const int64_t next = event.payload + 1;
  kernel.schedule_at(*first_ + static_cast<double>(next) * interval_, id(), 0, priority_, next);
}

}  // namespace poisonsim
