// The per-source gate (guards/window/source_gate.h, RONI per data source) with a trainer of the
// test's own, whose validation accuracy is a known function of which samples are kept: it removes
// exactly the sources whose removal helps by more than epsilon, keeps quarantined sources out
// without testing them again, and judges nothing with one source or without provenance.
#include <memory>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "guards/window/source_gate.h"
#include "pipeline/plugins/sanitizer_chain.h"
#include "sim/kernel/state_archive.h"

namespace poisonsim {
namespace {

// A window of `per_source` samples from each named source, in turn.
struct Window {
  std::vector<std::string> names;
  std::vector<int32_t> sources;
  std::vector<int64_t> labels;
  std::vector<float> features;  // one zero feature per sample: the gate does not read them
  Window(std::vector<std::string> source_names, size_t per_source) : names(std::move(source_names)) {
    for (size_t k = 0; k < per_source; ++k)
      for (size_t s = 0; s < names.size(); ++s) {
        sources.push_back(static_cast<int32_t>(s));
        labels.push_back(0);
        features.push_back(0);
      }
  }
};

// Validation accuracy 0.8, minus `harm[s]` times the share of source s's samples kept; also counts
// the fits.
struct HarmTrainer {
  const Window& window;
  std::vector<double> harm;
  int fits = 0;
  WindowValidation operator()(const std::vector<uint8_t>& keep) {
    ++fits;
    std::vector<double> kept(window.names.size()), all(window.names.size());
    for (size_t i = 0; i < keep.size(); ++i) {
      all[static_cast<size_t>(window.sources[i])] += 1;
      kept[static_cast<size_t>(window.sources[i])] += keep[i];
    }
    double accuracy = 0.8;
    for (size_t s = 0; s < harm.size(); ++s) accuracy -= harm[s] * kept[s] / all[s];
    return {1 - accuracy, accuracy};
  }
};

std::vector<int8_t> run_chain(SanitizerChain& chain, const Window& w, HarmTrainer* trainer,
                              std::vector<SanitizerChain::Report>* reports = nullptr) {
  WindowProvenance provenance{w.sources, w.names, {}};
  if (trainer) provenance.train = [trainer](const std::vector<uint8_t>& keep) {
    return (*trainer)(keep);
  };
  std::vector<int8_t> removed_by;
  auto r = chain.run(w.labels, w.features, 1, removed_by, &provenance);
  if (reports) *reports = r;
  return removed_by;
}

SanitizerChain gate_chain(SourceGateOptions o) {
  std::vector<SanitizerChain::Stage> stages;
  stages.push_back({"per-source", std::make_unique<SourceGate>(o)});
  return SanitizerChain(std::move(stages));
}

TEST(SourceGate, RemovesExactlyTheSourcesWhoseRemovalHelpsByMoreThanEpsilon) {
  const Window w({"public", "flipper", "mild"}, 50);
  // Without flipper: +0.05; without mild: +0.004 (under epsilon 0.005); without public: -0.1.
  HarmTrainer trainer{w, {-0.1, 0.05, 0.004}};
  auto chain = gate_chain({});
  const auto removed_by = run_chain(chain, w, &trainer);
  for (size_t i = 0; i < removed_by.size(); ++i)
    EXPECT_EQ(removed_by[i], w.names[static_cast<size_t>(w.sources[i])] == "flipper" ? 0 : -1);
  EXPECT_EQ(trainer.fits, 4);  // the whole window, then one without each source
}

TEST(SourceGate, AQuarantinedSourceStaysOutWithoutAnotherTest) {
  const Window w({"public", "flipper"}, 40);
  HarmTrainer trainer{w, {-0.1, 0.05}};
  auto chain = gate_chain({});
  run_chain(chain, w, &trainer);
  // The next window: the flipper now looks harmless, but it is quarantined for the run.
  HarmTrainer harmless{w, {-0.1, 0.0}};
  const auto removed_by = run_chain(chain, w, &harmless);
  for (size_t i = 0; i < removed_by.size(); ++i)
    EXPECT_EQ(removed_by[i], w.sources[i] == 1 ? 0 : -1);
  EXPECT_EQ(harmless.fits, 0);  // one judged source left: nothing to compare
  // The quarantine survives a checkpoint.
  StateOut out;
  chain.save_state(out);
  auto restored = gate_chain({});
  StateIn in(out.bytes(), "test");
  restored.load_state(in);
  const auto after = run_chain(restored, w, &harmless);
  EXPECT_EQ(after, removed_by);
}

TEST(SourceGate, WindowQuarantineTestsAgainAndLossMetricUsesNats) {
  const Window w({"public", "flipper"}, 40);
  SourceGateOptions o;
  o.quarantine = Quarantine::window;
  o.metric = SourceGateMetric::loss;
  o.epsilon = 0.02;
  HarmTrainer trainer{w, {-0.1, 0.05}};  // loss falls by 0.05 without the flipper
  auto chain = gate_chain(o);
  EXPECT_EQ(run_chain(chain, w, &trainer)[1], 0);
  HarmTrainer harmless{w, {-0.1, 0.01}};  // now 0.01 < epsilon: kept
  EXPECT_EQ(run_chain(chain, w, &harmless)[1], -1);
}

TEST(SourceGate, OneSourceSmallSourcesOrNoProvenanceAreANoOp) {
  std::vector<SanitizerChain::Report> reports;
  {
    const Window w({"public"}, 60);
    HarmTrainer trainer{w, {0.5}};
    auto chain = gate_chain({});
    const auto removed_by = run_chain(chain, w, &trainer, &reports);
    for (int8_t r : removed_by) EXPECT_EQ(r, -1);
    EXPECT_EQ(reports[0].unjudged, 60);
    EXPECT_EQ(trainer.fits, 0);
  }
  {
    const Window w({"public", "tiny"}, 10);  // 10 < min_source_samples (32) each
    HarmTrainer trainer{w, {0.5, 0.5}};
    auto chain = gate_chain({});
    run_chain(chain, w, &trainer, &reports);
    EXPECT_EQ(reports[0].removed, 0);
    EXPECT_EQ(reports[0].unjudged, 20);
  }
  {
    const Window w({"public", "flipper"}, 40);
    auto chain = gate_chain({});
    run_chain(chain, w, nullptr, &reports);  // sources but no trainer
    EXPECT_EQ(reports[0].removed, 0);
    EXPECT_EQ(reports[0].unjudged, 80);
    std::vector<int8_t> removed_by;
    const auto plain = chain.run(w.labels, w.features, 1, removed_by);  // no provenance at all
    EXPECT_EQ(plain[0].unjudged, 80);
  }
}

// After another stage, the gate's trainer sees only what that stage kept.
TEST(SourceGate, ItsTrainerSeesOnlyWhatEarlierStagesKept) {
  struct DropFirst : WindowSanitizer {
    void sanitize(const SanitizeWindow&, SanitizeOutcome& outcome) override { outcome.remove[0] = 1; }
  };
  std::vector<SanitizerChain::Stage> stages;
  stages.push_back({"drop-first", std::make_unique<DropFirst>()});
  stages.push_back({"per-source", std::make_unique<SourceGate>(SourceGateOptions{})});
  SanitizerChain chain(std::move(stages));
  const Window w({"public", "flipper"}, 40);
  std::vector<size_t> kept_counts;
  WindowProvenance provenance{w.sources, w.names, [&](const std::vector<uint8_t>& keep) {
                                EXPECT_EQ(keep.size(), w.labels.size());
                                EXPECT_EQ(keep[0], 0);  // removed by the first stage
                                size_t kept = 0;
                                for (uint8_t k : keep) kept += k;
                                kept_counts.push_back(kept);
                                return WindowValidation{0.5, 0.8};
                              }};
  std::vector<int8_t> removed_by;
  chain.run(w.labels, w.features, 1, removed_by, &provenance);
  EXPECT_EQ(kept_counts, (std::vector<size_t>{79, 39, 40}));  // all, without public, without flipper
}

}  // namespace
}  // namespace poisonsim
