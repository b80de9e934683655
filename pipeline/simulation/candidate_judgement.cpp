#include "pipeline/simulation/candidate_judgement.h"

#include "pipeline/data/dataset.h"
#include "pipeline/plugins/retrain_gate.h"
#include "pipeline/simulation/deployment.h"
#include "pipeline/simulation/retrain_policy.h"
#include "pipeline/trace/trace_rows.h"

namespace poisonsim {

JudgedCandidate judge_candidate(const RetrainPolicy& policy, const TargetModel& deployed,
                                const Dataset& set, uint64_t seed, const Dataset& validation,
                                const Dataset& test, Deployment& test_scorer, RetrainGate& gate,
                                RetrainRow& row) {
  JudgedCandidate out;
  if (set.empty()) {  // nothing to train on: nothing changes, nothing to deploy
    set_trace_name(row.gate, "empty");
    row.validation_loss_after = row.validation_loss_before;
    row.validation_accuracy_after = row.validation_accuracy_before;
    row.test_accuracy_after = row.test_accuracy_before;
    return out;
  }
  TargetModel candidate = policy.candidate(deployed, set, validation, seed);
  out.on_validation = evaluate(candidate, validation);
  row.validation_loss_after = out.on_validation.mean_loss;
  row.validation_accuracy_after = out.on_validation.accuracy;
  // One forward pass over the test set per retrain: what the gate cannot see, recorded.
  test_scorer.deploy(candidate.clone());
  out.on_test = summarize(test_scorer.score_parallel(test), test.labels);
  row.test_accuracy_after = out.on_test.accuracy;
  const GateDecision decision =
      gate.decide({row.validation_loss_before, out.on_validation.mean_loss,
                   row.validation_accuracy_before, out.on_validation.accuracy});
  set_trace_name(row.gate, decision.allow ? "allow" : "refuse");
  if (decision.allow) {
    out.allowed = std::move(candidate);
  } else {
    set_trace_name(row.gate_reason, decision.reason);
    row.gate_margin = decision.margin;
  }
  return out;
}

}  // namespace poisonsim
