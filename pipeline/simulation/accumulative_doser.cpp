#include "pipeline/simulation/accumulative_doser.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <utility>
#include <vector>

#include <spdlog/spdlog.h>

#include "pipeline/model/training.h"
#include "pipeline/scenario/scenario.h"
#include "sim/kernel/random_stream.h"
#include "sim/kernel/state_archive.h"
#include "sim/util/error.h"

namespace poisonsim {

void resolve_accumulate(AttackerSpec& attacker, const Scenario& scenario) {
  if (!attacker.accumulate) return;
  auto& plan = *attacker.accumulate;
  const auto& retrain = scenario.retrain;
  plan.victim = retrain.train;
  // A buffer-triggered retrain trains on min_samples samples, whatever they are; an interval one
  // on what the streams and the attacker's arrivals bring in an interval.
  double clean = static_cast<double>(retrain.min_samples);
  double poison = clean;
  if (retrain.trigger == RetrainTrigger::interval) {
    clean = 0;
    for (const auto& stream : scenario.streams)
      clean += stream.arrival.rate * static_cast<double>(stream.batch_size) * retrain.interval;
    poison = attacker.arrival.rate * static_cast<double>(attacker.batch_size) * retrain.interval;
  }
  const auto at_least_one = [](double n) { return std::max<int64_t>(1, std::llround(n)); };
  if (!plan.window_clean) plan.window_clean = at_least_one(clean);
  if (!plan.window_poison) plan.window_poison = at_least_one(poison);
}

namespace {

// The candidates in order of their loss on the deployed model at the label they carry, lowest
// first: a dose of d sends the d the gate's validation change feels least.
PoisonBatch lowest_loss_first(const TargetModel& model, PoisonBatch made) {
  const auto loss = score_samples(model, made.samples).loss;
  std::vector<size_t> order(loss.size());
  std::iota(order.begin(), order.end(), size_t{0});
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return loss[a] < loss[b]; });
  return {made.samples.subset(order), made.seeds.subset(order)};
}

// `context` with another pool of seeds (its other members as they are).
AttackContext with_pool(const AttackContext& context, const Dataset& pool) {
  AttackContext out{context.model, pool, context.validation, context.rng, context.now,
                    context.model_version};
  out.progress = context.progress;
  out.guard_threshold = context.guard_threshold;
  out.guard_evidence = context.guard_evidence;
  out.stages = context.stages;
  out.window = context.window;
  out.record_phase = context.record_phase;
  return out;
}

// The first and the second half of `pool`'s rows (a pool of one sample gives it to both).
std::pair<Dataset, Dataset> split_in_halves(const Dataset& pool) {
  if (pool.size() < 2) return {pool, pool};
  const size_t half = pool.size() / 2;
  return {take_rows(pool, 0, half), take_rows(pool, half, pool.size() - half)};
}

// Records a phase of the plan as an events row, when the caller collects them.
void record(const AttackContext& context, const char* kind, int64_t size) {
  if (context.record_phase) context.record_phase(kind, size);
}

}  // namespace

AccumulativeDoser::AccumulativeDoser(std::unique_ptr<PoisonGenerator> inner, AccumulateSpec spec)
    : inner_(std::move(inner)), spec_(std::move(spec)), cap_(std::numeric_limits<double>::infinity()) {}

PoisonBatch AccumulativeDoser::generate(AttackContext& context, int64_t count) {
  if (phase_ == Phase::stealth && context.now >= spec_.trigger_at) {
    phase_ = Phase::trigger;
    trigger_window_ = context.window;
    pending_.clear();
    record(context, "trigger", count);
  }
  if (phase_ == Phase::trigger && context.window != trigger_window_) phase_ = Phase::done;
  switch (phase_) {
    case Phase::done:
      return {};
    case Phase::trigger:
      return inner_->generate(context, count);
    case Phase::stealth:
      break;
  }
  if (context.window != window_) {
    plan_window(context);
    record(context, "stealth", last_dose_);
  }
  return pending_.take(static_cast<size_t>(count));
}

void AccumulativeDoser::plan_window(AttackContext& context) {
  // The gate's verdict on the last planned window teaches what the simulation misjudges: a
  // refused dose caps later ones at `backoff` times it; each deployed window lets the cap grow
  // back, more slowly than it fell.
  if (window_ >= 0 && last_dose_ > 0) {
    if (context.model_version == planned_version_) {
      cap_ = spec_.backoff * static_cast<double>(last_dose_);
      record(context, "backoff", static_cast<int64_t>(cap_));
    } else {
      cap_ *= 1 + (1 - spec_.backoff) / 2;
    }
  }
  window_ = context.window;
  planned_version_ = context.model_version;
  // The attacker's pool in two halves: poison seeds from the first, the simulated window's clean
  // samples from the second. Drawn from one pool, an image flipped in the poison would also be
  // trained on with its true label, and the simulation would see the flips cancel.
  const auto [seed_half, clean_half] = split_in_halves(context.clean_pool);
  AttackContext seeds_only = with_pool(context, seed_half);
  PoisonQueue candidates{
      lowest_loss_first(context.model, inner_->generate(seeds_only, *spec_.window_poison)), 0};
  last_dose_ = largest_passing_dose(context, candidates.made.samples, clean_half);
  pending_ = PoisonQueue{candidates.take(static_cast<size_t>(last_dose_)), 0};
}

int64_t AccumulativeDoser::largest_passing_dose(AttackContext& context, const Dataset& candidates,
                                                const Dataset& pool) {
  // The window's clean part: samples of `pool`, drawn with replacement.
  std::vector<size_t> rows(pool.size() == 0 ? 0 : *spec_.window_clean);
  for (auto& row : rows) row = context.rng.below(pool.size());
  const Dataset clean = pool.subset(rows);
  TrainOptions victim = spec_.victim;
  victim.seed = context.rng.next_u64();  // one shuffle for every dose: doses differ by poison alone
  const Evaluation before = evaluate(context.model, context.validation);
  const auto passes = [&](int64_t dose) {
    Dataset window = clean;
    window.append(take_rows(candidates, 0, static_cast<size_t>(dose)));
    const Evaluation after = evaluate(train_copy(context.model, window, victim), context.validation);
    spdlog::debug("accumulative plan at {:.1f} s: dose {} of {}: simulated validation loss {:+.4f}, "
                  "accuracy {:+.4f} (limits x {:.2f})",
                  context.now, dose, candidates.size(),
                  after.mean_loss - before.mean_loss, after.accuracy - before.accuracy, spec_.safety);
    if (!std::isfinite(after.mean_loss)) return false;
    if (after.mean_loss - before.mean_loss > spec_.safety * spec_.max_loss_increase) return false;
    return !spec_.max_accuracy_drop ||
           before.accuracy - after.accuracy <= spec_.safety * *spec_.max_accuracy_drop;
  };
  auto most = static_cast<int64_t>(candidates.size());
  if (std::isfinite(cap_)) most = std::min(most, static_cast<int64_t>(cap_));
  if (most == 0 || passes(most)) return most;
  int64_t low = 0, high = most;  // low passes (no poison: assumed), high does not
  for (int64_t step = 0; step < spec_.search_steps && high - low > 1; ++step) {
    const int64_t middle = low + (high - low) / 2;
    (passes(middle) ? low : high) = middle;
  }
  return low;
}

void AccumulativeDoser::save_state(StateOut& out) const {
  inner_->save_state(out);
  out.section("accumulative plan");
  out(static_cast<int64_t>(phase_), cap_, window_, planned_version_, last_dose_,
      trigger_window_, static_cast<uint64_t>(pending_.next));
  pending_.save(out);
}

void AccumulativeDoser::load_state(StateIn& in) {
  inner_->load_state(in);
  in.section("accumulative plan");
  int64_t phase = 0;
  uint64_t next = 0;
  in(phase, cap_, window_, planned_version_, last_dose_, trigger_window_, next);
  if (phase < 0 || phase > static_cast<int64_t>(Phase::done))
    throw UserError(in.where(), "the saved accumulative plan has an unknown phase");
  phase_ = static_cast<Phase>(phase);
  pending_.next = static_cast<size_t>(next);
  pending_.load(in, "accumulative plan");
}

}  // namespace poisonsim
