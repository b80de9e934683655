#include "pipeline/simulation/retrain_policy.h"

#include <limits>

#include "pipeline/model/training.h"
#include "sim/kernel/state_archive.h"

namespace poisonsim {

RetrainPolicy::RetrainPolicy(const RetrainSpec& spec, const TargetModel& initial) : spec_(spec) {
  if (spec.start == RetrainStart::base) base_ = initial.clone();
}

TargetModel RetrainPolicy::candidate(const TargetModel& deployed, const Dataset& set,
                                     const Dataset& validation, uint64_t seed) const {
  TrainOptions train = spec_.train;
  train.seed = seed;
  auto model = base_ ? base_->clone() : deployed.clone();
  if (spec_.select != ModelSelection::best) {
    train_model(model, set, train);
    return model;
  }
  // The first of equally good epochs wins: fewer steps on data that may hold poison.
  std::optional<TargetModel> best;
  double best_loss = std::numeric_limits<double>::infinity();
  train_model(model, set, train, nullptr, [&](int64_t, const TargetModel& current) {
    const double loss = evaluate(current, validation).mean_loss;
    if (loss < best_loss) {
      best_loss = loss;
      best = current.clone();
    }
  });
  // Every epoch's loss NaN: nothing was better than anything; the last iterate stands.
  return best ? std::move(*best) : std::move(model);
}

void RetrainPolicy::save_state(StateOut& out) const {
  if (!base_) return;
  out.section("retrain base model");
  out(base_->state());
}

void RetrainPolicy::load_state(StateIn& in) {
  if (!base_) return;
  in.section("retrain base model");
  std::vector<std::vector<float>> values;
  in(values);
  base_->set_state(values, in.where());
}

}  // namespace poisonsim
