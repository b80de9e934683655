#pragma once
// The retraining protocol that measures a poison set (README, "Attacks"): retrain copies of the
// pretrained model on the poison alone and on the poison mixed with clean data, with several
// shuffling seeds, and compare with clean-only retraining of the same size.
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "attackers/direct/direct_gradient.h"
#include "pipeline/data/dataset.h"
#include "pipeline/model/target_model.h"
#include "pipeline/model/training.h"
#include "pipeline/plugins/registry.h"

namespace poisonsim {

struct RetrainProtocol {
  TrainOptions train{1, 0.1, 32, 0.0, 0.0, 0};  // one pass, as the paper's retraining
  int64_t seeds = 3;        // retraining shuffles; figures are mean, std and 95% CI over them
  int64_t mixed_ratio = 5;  // clean samples per poisoned sample in the mixed case
};

struct MeanStd {
  std::vector<double> values;
  double mean = 0;
  double std = 0;  // sample standard deviation (n - 1)
  // Half-width of the 95% confidence interval of the mean (Student t, n - 1 degrees of
  // freedom); NaN with fewer than two values.
  double ci95 = std::numeric_limits<double>::quiet_NaN();
};

MeanStd mean_std(std::vector<double> values);

// "0.8123 ± 0.0210" (the 95% interval's half-width), or "0.8123" when there is no interval.
std::string format_mean_ci(const MeanStd& m);

// Test accuracy of copies of `model` retrained on `train_set` with protocol.seeds shuffles.
MeanStd retrained_accuracy(const TargetModel& model, const Dataset& train_set, const Dataset& test,
                           const RetrainProtocol& protocol);

// The paper's countermeasure measured offline: what a fresh guard of the scenario's kind does to
// the poison, and to its clean seeds, arriving at the pretrained (deployed) model with no
// retraining in between. The simulation measures the same in the closed loop.
struct GuardDetection {
  std::string guard;                                            // the guard's type
  double threshold = std::numeric_limits<double>::quiet_NaN();  // in force after the poison
  double poison_rejected = 0;  // fraction of the poisoned samples rejected
  double clean_rejected = 0;   // fraction of the clean seeds rejected
};

GuardDetection measure_detection(const TargetModel& model, const Dataset& poison,
                                 const Dataset& seeds, const std::string& guard_type,
                                 const SampleGuardFactory& make_guard);

struct PoisonEffect {
  double accuracy_before = 0;
  MeanStd accuracy_after;        // retrained on the poison alone
  MeanStd accuracy_clean_only;   // retrained on the clean seeds alone (same size)
  MeanStd accuracy_mixed;        // poison + mixed_ratio x as many clean samples
  MeanStd accuracy_clean_mixed;  // the same number of clean samples only
  double mean_loss_poison = 0;   // per-sample loss on the pretrained (deployed) model
  double mean_loss_clean = 0;    // the same for the clean seeds
  double mean_l2_from_seed = 0;
  double mean_pairwise_l2 = 0;  // spread of the poison (a collapsed generator gives ~0)
  double seed_pairwise_l2 = 0;
  std::optional<GuardDetection> detection;  // when the scenario has a guard
};

// `poison` and `seeds` are paired sample by sample; `clean_extra` supplies the mixed case's
// clean samples (at least mixed_ratio * poison.size() of them, else it is used whole).
PoisonEffect measure_poison(const TargetModel& model, const Dataset& poison, const Dataset& seeds,
                            const Dataset& clean_extra, const Dataset& test,
                            const RetrainProtocol& protocol, uint64_t seed);

nlohmann::json to_json(const MeanStd& m);
nlohmann::json to_json(const GuardDetection& d);
nlohmann::json to_json(const PoisonEffect& e);
// The direct method's ascent: clean-validation loss and accuracy after the simulated update, per
// iteration (index 0: the seeds), mean over groups of `group_size`.
nlohmann::json to_json(const DirectReport& r, int64_t group_size);

}  // namespace poisonsim
