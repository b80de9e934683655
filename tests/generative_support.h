#pragma once
// What the generative method's tests share: a small G, a small target pretrained on the
// synthetic task, and the victim's retraining on a poison set.
#include "attackers/generative/generative_attack.h"
#include "pipeline/model/target_model.h"
#include "pipeline/model/training.h"
#include "tests/test_support.h"

namespace poisonsim::test {

// A G small enough that a training takes well under a second.
inline GenerativeOptions small_options(GenerativeRule rule) {
  GenerativeOptions o;
  o.rule = rule;
  o.generator.encoder = {64};
  o.generator.code = 16;
  o.generator.decoder = {64};
  o.steps = 40;
  o.batch_size = 64;
  o.select_every = 0;
  o.select_samples = 200;
  o.validation_samples = 200;
  return o;
}

inline ModelSpec small_mlp() {
  ModelSpec spec;
  spec.hidden = {64};
  return spec;
}

inline bool same_weights(const ModelWeights& a, const ModelWeights& b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i)
    if (a[i].values != b[i].values) return false;
  return true;
}

// A small target pretrained on the synthetic task, and its data.
struct SyntheticSetup {
  TrainTestData data = small_synthetic(600, 200);
  TargetModel model = TargetModel::create(small_mlp(), 3);
  SyntheticSetup() {
    TrainOptions options;
    options.epochs = 2;
    train_model(model, data.train, options);
  }
};

// Validation loss and accuracy of the model after the victim's retraining on `poison` alone.
inline Evaluation after_retraining(const TargetModel& model, const Dataset& poison,
                                   const Dataset& validation) {
  TargetModel victim = model.clone();
  TrainOptions options;
  options.seed = 11;
  train_model(victim, poison, options);
  return evaluate(victim, validation);
}

}  // namespace poisonsim::test
