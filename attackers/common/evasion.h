#pragma once
// The guard-aware attacker option (scenario block `evade`; docs/attacks.md, "Guard-aware
// attacker"): the attacker keeps each poison sample's loss on its own model, at the label it is
// sent with, at or below cap = threshold - margin, where the threshold is the deployed guard's
// (known), estimated from the verdicts on its own earlier samples (estimate), or assumed. A sample
// over the cap is pulled back toward its clean seed until it is under.
#include <cstdint>
#include <limits>
#include <optional>

#include "pipeline/plugins/registry.h"

namespace poisonsim {

class ConfigNode;

class TargetModel;

enum class ThresholdSource {
  known,     // SampleGuard::threshold() of the deployed guard when the batch is generated
  estimate,  // estimate_threshold() from the verdicts on the attacker's own samples
  assumed,   // a fixed number from the scenario
};

struct EvasionOptions {
  ThresholdSource source = ThresholdSource::known;
  double assumed = 3.0;  // the threshold when source is assumed
  double margin = 0.5;   // cap = threshold - margin; negative allows losses above the threshold
  double initial = 3.0;  // estimate: the guess before any verdict
};

// The `evade` block of an attacker (absent: nullopt, and nothing is added to the resolved
// scenario). `penalty`, when given, receives the generator's hinge weight (`evade.penalty`).
std::optional<EvasionOptions> read_evasion_options(ConfigNode& node, double* penalty = nullptr);

// `initial` before any verdict. Then the midpoint between the largest accepted loss (0 while
// none was accepted: a loss is never negative) and the smallest rejected loss above it, or the
// largest accepted loss when nothing above it was rejected.
double estimate_threshold(const GuardEvidence* evidence, double initial);

// Samples that were over the cap: pulled back toward their seed (`projected`, which includes
// `seeds`), and among them those sent as their seed because even the seed was over the cap.
struct ProjectionCounts {
  int64_t projected = 0;
  int64_t seeds = 0;
};

// For each sample of `samples` (labels as sent) whose cross-entropy on `model` is over `cap`:
// x <- seed + a * (x - seed) with the largest a in [0, 1] under the cap, found by bisection, or
// the seed itself when the seed is over the cap. In place; `seeds` pairs up with `samples`.
ProjectionCounts project_under_cap(const TargetModel& model, Dataset& samples, const Dataset& seeds,
                                   double cap);

// What a guard-aware attacker did, over its whole life.
struct EvasionStats {
  int64_t batches = 0;        // batches generated under a cap
  int64_t unconstrained = 0;  // batches generated without one (known, and the guard has none)
  int64_t samples = 0;        // samples generated under a cap
  int64_t projected = 0;      // ProjectionCounts, summed
  int64_t seeds = 0;
  double threshold = std::numeric_limits<double>::quiet_NaN();  // the last threshold used
  double cap = std::numeric_limits<double>::quiet_NaN();        // the last cap
};

// The option's state inside one attacker: which cap applies now, and the counts.
class GuardEvasion {
 public:
  explicit GuardEvasion(EvasionOptions options) : options_(options) {}

  // The cap for a batch generated now, or none when there is no threshold to stay under (known,
  // and the deployed guard has none: logged once, the batch is then counted as unconstrained).
  std::optional<double> cap(const AttackContext& context);
  // Projects `batch` under `cap` on `model` and counts it.
  void project(const TargetModel& model, PoisonBatch& batch, double cap, double now);
  // Counts a batch of `samples` projected elsewhere (inside the direct method's ascent).
  void record(int64_t samples, const ProjectionCounts& counts, double now);

  const EvasionOptions& options() const { return options_; }
  const EvasionStats& stats() const { return stats_; }
  // Checkpoints: the counts and whether the no-threshold note was logged.
  void save_state(StateOut& out) const;
  void load_state(StateIn& in);

 private:
  EvasionOptions options_;
  EvasionStats stats_;
  bool warned_ = false;
};

// Checkpoints of an attacker's optional evasion state; load fails when the scenario's `evade`
// option differs from the one saved.
void save_evasion(StateOut& out, const std::optional<GuardEvasion>& evasion);
void load_evasion(StateIn& in, std::optional<GuardEvasion>& evasion);

}  // namespace poisonsim
