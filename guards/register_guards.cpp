#include "guards/register_guards.h"

#include <limits>

#include "guards/gates/retrain_gates.h"
#include "guards/per_sample/adaptive_threshold.h"
#include "guards/per_sample/baseline_filters.h"
#include "guards/per_sample/centroid_guards.h"
#include "guards/per_sample/knn_guard.h"
#include "guards/per_sample/loss_threshold.h"
#include "guards/per_sample/torchscript_guard.h"
#include "guards/python/register_python.h"
#include "guards/window/activation_clustering.h"
#include "guards/window/sever.h"
#include "guards/window/source_gate.h"
#include "guards/window/spectral_signature.h"
#include "guards/window/trim.h"
#include "pipeline/scenario/config_node.h"

namespace poisonsim {
namespace {

class AcceptAll : public SampleGuard {
 public:
  Verdict judge(const ScoredSample&) override { return Verdict::accept; }
};

}  // namespace

void register_guards(PluginRegistry& registry) {
  registry.guards.add("none", "accept every sample (the undefended baseline)", {}, [](ConfigNode&) {
    return SampleGuardFactory([] { return std::make_unique<AcceptAll>(); });
  });
  registry.guards.add(
      "loss-threshold", "reject a sample whose loss on the deployed model exceeds `threshold`",
      {"threshold"}, [](ConfigNode& node) {
        const double threshold = node.get<double>("threshold", 3.0, greater_than(0));
        const std::string where = node.key_path("threshold");
        LossThresholdGuard check(threshold, where);  // validates now, not at run time
        return SampleGuardFactory(
            [threshold, where] { return std::make_unique<LossThresholdGuard>(threshold, where); });
      });
  registry.guards.add(
      "torchscript",
      "a TorchScript module (`file`) maps the batch's `input` tensors to one score per sample; "
      "reject a score `rule` above or below `threshold`",
      {"file", "input", "threshold", "rule", "sha256"}, [](ConfigNode& node) {
        const auto o = read_torchscript_guard_options(node);
        return SampleGuardFactory([o] { return std::make_unique<TorchScriptGuard>(o); });
      });
  registry.guards.add(
      "adaptive",
      "loss threshold = `factor` x (a `quantile` or mean + `k` std) of recently accepted losses",
      {"rule", "quantile", "k", "factor", "window", "warmup", "initial_threshold",
       "reset_on_deploy", "update_every"},
      [](ConfigNode& node) {
        const auto o = read_adaptive_threshold_options(node);
        return SampleGuardFactory([o] { return std::make_unique<AdaptiveThresholdGuard>(o); });
      });
  registry.guards.add(
      "knn",
      "Deep k-NN: reject a sample whose label is not a plurality among its `k` nearest "
      "neighbours (deployed model's features) in a bank of trusted and accepted samples",
      {"k", "bank_size", "add_accepted", "index", "pca_dims", "refine", "hnsw_m",
       "ef_construction", "ef_search"},
      [](ConfigNode& node) {
        const auto o = read_knn_guard_options(node);
        return SampleGuardFactory([o] { return std::make_unique<KnnGuard>(o); });
      });
  for (const auto rule : {CentroidGuardOptions::Rule::sphere, CentroidGuardOptions::Rule::slab}) {
    const bool sphere = rule == CentroidGuardOptions::Rule::sphere;
    registry.guards.add(
        centroid_rule_names().name(rule),
        sphere ? "reject a sample farther from its class's trusted centroid (features) "
                 "than the class's `quantile` of trusted distances"
               : "reject a sample whose projection on its class's centroid direction "
                 "exceeds the class's `quantile` of trusted projections",
        {"quantile", "bank_size"}, [rule](ConfigNode& node) {
          const auto o = read_centroid_guard_options(node, rule);
          return SampleGuardFactory([o] { return std::make_unique<CentroidGuard>(o); });
        });
  }
  registry.guards.add("random", "baseline: reject each sample with probability `rate`", {"rate"},
                      [](ConfigNode& node) {
                        const double rate = node.get<double>("rate", 0.1, in_range(0, 1));
                        return SampleGuardFactory(
                            [rate] { return std::make_unique<RandomFilter>(rate); });
                      });
  registry.guards.add("oracle",
                      "baseline: reject exactly the poison (sees the ground truth; no defense "
                      "can)",
                      {}, [](ConfigNode&) {
                        return SampleGuardFactory([] { return std::make_unique<OracleFilter>(); });
                      });
  registry.sanitizers.add(
      "spectral",
      "spectral signatures: per class, remove window samples whose squared projection on the top "
      "singular vector of the centred features exceeds the class's `quantile` of trusted scores",
      {"quantile", "max_removal", "min_class_samples", "bank_size"}, [](ConfigNode& node) {
        const auto o = read_spectral_signature_options(node);
        return WindowSanitizerFactory([o] { return std::make_unique<SpectralSignature>(o); });
      });
  registry.sanitizers.add(
      "activation-clustering",
      "activation clustering: per class, 2-means on the top principal components of the "
      "features; remove the smaller cluster when it is small, well separated and trusted data "
      "avoids it",
      {"components", "max_share", "min_silhouette", "trusted_ratio", "min_class_samples",
       "bank_size"},
      [](ConfigNode& node) {
        const auto o = read_activation_clustering_options(node);
        return WindowSanitizerFactory([o] { return std::make_unique<ActivationClustering>(o); });
      });
  registry.sanitizers.add(
      "sever",
      "Sever: per class, remove window samples whose last-layer gradient's squared projection on "
      "the top singular vector of the centred gradients exceeds the class's `quantile` of "
      "trusted scores",
      {"quantile", "max_removal", "rounds", "min_class_samples", "bank_size"},
      [](ConfigNode& node) {
        const auto o = read_sever_options(node);
        return WindowSanitizerFactory([o] { return std::make_unique<Sever>(o); });
      });
  registry.sanitizers.add(
      "trim",
      "TRIM on the last layer: refit it on the window, keep each class's (1 - `trim`) lowest "
      "losses, refit on them until the kept set is stable; remove a trimmed sample whose loss "
      "exceeds the class's `quantile` of trusted losses",
      {"trim", "quantile", "max_rounds", "steps", "weight_decay", "min_class_samples",
       "bank_size"},
      [](ConfigNode& node) {
        const auto o = read_trim_options(node);
        return WindowSanitizerFactory([o] { return std::make_unique<Trim>(o); });
      });
  registry.sanitizers.add(
      "per-source",
      "per-source gate (RONI per data source): remove a source whose removal from the window "
      "improves clean validation of a retrained candidate by more than `epsilon`",
      {"epsilon", "metric", "quarantine", "min_source_samples"}, [](ConfigNode& node) {
        const auto o = read_source_gate_options(node);
        return WindowSanitizerFactory([o] { return std::make_unique<SourceGate>(o); });
      });
  register_python_stages(registry);
  registry.gates.add("none", "deploy every retrained model", {}, [](ConfigNode&) {
    return RetrainGateFactory([] { return std::make_unique<AlwaysDeploy>(); });
  });
  registry.gates.add(
      "validation",
      "refuse a retrained model whose clean-validation loss rose by more than "
      "`max_loss_increase` (or accuracy fell by more than `max_accuracy_drop`)",
      {"max_loss_increase", "max_accuracy_drop"}, [](ConfigNode& node) {
        const double max_loss = node.get<double>("max_loss_increase", 0.05, at_least(0));
        const auto max_drop = node.optional<double>("max_accuracy_drop", in_range(0, 1));
        return RetrainGateFactory(
            [max_loss, max_drop] { return std::make_unique<ValidationGate>(max_loss, max_drop); });
      });
}

}  // namespace poisonsim
