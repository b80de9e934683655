#pragma once
// The per-source gate: Reject On Negative Impact (Nelson et al., "Exploiting Machine Learning to
// Subvert Your Spam Filter", LEET 2008) applied per data source, as provenance-based filtering
// does (Baracaldo et al., "Mitigating Poisoning Attacks on Machine Learning Models: A Data
// Provenance Based Approach", AISec 2017). Just before a retrain it trains one candidate on the
// whole window and one without each source's samples (each as the retrain would, from the
// deployed model), and removes a source whose removal improves clean validation by more than
// `epsilon`: accuracy (absolute, 0-1) or mean loss (nats). With `quarantine: run` a removed
// source stays removed at every later retrain, without being tested again. ART's RONIDefense
// recalibrates per point (about 0.2 N^2 fits); per source it costs (sources + 1) fits a window.
// A window with fewer than two judged sources is a no-op (there is nothing to compare), and so
// is a chain run without provenance (`bench defenses`).
#include <cstdint>
#include <set>
#include <string>

#include "pipeline/plugins/window_sanitizer.h"

namespace poisonsim {

class ConfigNode;

enum class SourceGateMetric { accuracy, loss };
enum class Quarantine { window, run };

struct SourceGateOptions {
  double epsilon = 0.005;  // improvement without a source above which it is removed
  SourceGateMetric metric = SourceGateMetric::accuracy;
  Quarantine quarantine = Quarantine::run;
  int64_t min_source_samples = 32;  // a source with fewer samples in the window is not judged
};

// The `per-source` stage's keys, range-checked.
SourceGateOptions read_source_gate_options(ConfigNode& node);

class SourceGate : public WindowSanitizer {
 public:
  explicit SourceGate(SourceGateOptions options) : options_(options) {}
  void sanitize(const SanitizeWindow& window, SanitizeOutcome& outcome) override;
  void save_state(StateOut& out) const override;
  void load_state(StateIn& in) override;

  const std::set<std::string>& quarantined() const { return quarantined_; }

 private:
  SourceGateOptions options_;
  std::set<std::string> quarantined_;  // sources removed for the rest of the run
};

}  // namespace poisonsim
