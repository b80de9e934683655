#pragma once
// An attacker's `accumulate:` block: the accumulative attacker against an accuracy-monitoring
// retrain gate (Pang et al. 2021, "Accumulative poisoning attacks on real-time data"). In its
// stealth phase each retraining window gets the largest dose of the attacker's poison that, in
// the attacker's own simulation of the victim's retrain, keeps the gate's validation change
// within `safety` of the gate's limits, so every retrain is deployed and the model moves a step
// at a time; from `trigger_at` it sends all its arrivals offer for one window (the trigger), then
// stops. pipeline/simulation/accumulative_doser.h carries it out.
#include <cstdint>
#include <optional>

#include "pipeline/model/training.h"

namespace poisonsim {

class ConfigNode;
struct AttackerSpec;

struct AccumulateSpec {
  double trigger_at = 0;  // simulated time the trigger phase starts
  // The retrain gate's limits as the attacker believes them (the `validation` gate's keys).
  double max_loss_increase = 0.05;
  std::optional<double> max_accuracy_drop;
  double safety = 0.5;   // share of those limits a stealth window plans to use
  double backoff = 0.5;  // safety is multiplied by this after a stealth window the gate refused
  int64_t search_steps = 6;  // bisection steps over a window's dose (resolution 1 / 2^steps)
  // Samples of a window the attacker simulates: clean ones (the streams' expected arrivals) and
  // candidate poison (what its own arrivals are expected to offer). None: derived from the
  // scenario's streams, attacker arrival rate and retrain interval when the run starts.
  std::optional<int64_t> window_clean;
  std::optional<int64_t> window_poison;
  // The victim's retraining as the attacker simulates it: the scenario's `retrain:` options,
  // filled in when the run starts (white box, as the optimising attacks assume).
  TrainOptions victim;
};

// Reads `node`'s `accumulate` block (absent: none); errors name the key and line.
std::optional<AccumulateSpec> read_accumulate(ConfigNode& attacker);

// Fails at `node`'s accumulate key when the attacker's other keys conflict with the plan.
void check_accumulate(const ConfigNode& node, const AttackerSpec& attacker);

}  // namespace poisonsim
