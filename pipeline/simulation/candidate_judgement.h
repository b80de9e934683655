#pragma once
// The middle of a retrain, between sanitizing the window and deploying: the victim's policy trains
// a candidate on the retraining set; it is scored on the validation set (what the gate sees) and
// on the test set (what the gate cannot see, recorded for the reader); the gate decides.
#include <cstdint>
#include <optional>

#include "pipeline/model/target_model.h"
#include "pipeline/model/training.h"

namespace poisonsim {

class Deployment;
class RetrainGate;
class RetrainPolicy;
struct Dataset;
struct RetrainRow;

struct JudgedCandidate {
  std::optional<TargetModel> allowed;  // the candidate, when the gate let it through
  Evaluation on_validation;
  Evaluation on_test;
};

// `row` holds the deployed model's "before" columns; this fills the "after" and gate columns (an
// empty set: gate "empty", "after" equal to "before", nothing allowed).
// `test_scorer` is a serving engine whose weights this replaces with the candidate's.
JudgedCandidate judge_candidate(const RetrainPolicy& policy, const TargetModel& deployed,
                                const Dataset& set, uint64_t seed, const Dataset& validation,
                                const Dataset& test, Deployment& test_scorer, RetrainGate& gate,
                                RetrainRow& row);

}  // namespace poisonsim
