#include "guards/register_guards.h"

#include <limits>

#include "guards/per_sample/adaptive_threshold.h"
#include "guards/per_sample/loss_threshold.h"
#include "guards/gates/retrain_gates.h"
#include "pipeline/scenario/config_node.h"

namespace poisonsim {
namespace {

class AcceptAll : public SampleGuard {
 public:
  Verdict judge(const ScoredSample&) override { return Verdict::accept; }
};

}  // namespace

void register_guards(PluginRegistry& registry) {
  registry.guards.add("none", "accept every sample (the undefended baseline)", [](ConfigNode&) {
    return SampleGuardFactory([] { return std::make_unique<AcceptAll>(); });
  });
  registry.guards.add(
      "loss-threshold", "reject a sample whose loss on the deployed model exceeds `threshold`",
      [](ConfigNode& node) {
        const double threshold = node.get<double>("threshold", 3.0, greater_than(0));
        const std::string where = node.key_path("threshold");
        LossThresholdGuard check(threshold, where);  // validates now, not at run time
        return SampleGuardFactory(
            [threshold, where] { return std::make_unique<LossThresholdGuard>(threshold, where); });
      });
  registry.guards.add(
      "adaptive",
      "loss threshold = `factor` x (a `quantile` or mean + `k` std) of recently accepted losses",
      [](ConfigNode& node) {
        AdaptiveThresholdOptions o;
        o.rule = node.get<std::string>("rule", "quantile", one_of({"quantile", "mean-std"})) ==
                         "quantile"
                     ? AdaptiveThresholdOptions::Rule::quantile
                     : AdaptiveThresholdOptions::Rule::mean_std;
        o.quantile = node.get<double>("quantile", o.quantile, in_range(0, 1));
        o.k = node.get<double>("k", o.k, in_range(0, 1000));
        o.factor = node.get<double>("factor", o.factor, greater_than(0));
        o.window = node.get<int64_t>("window", o.window, int_in_range(1, 10000000));
        o.warmup = node.get<int64_t>("warmup", o.warmup, int_in_range(1, 10000000));
        o.initial_threshold =
            node.get<double>("initial_threshold", o.initial_threshold, greater_than(0));
        o.reset_on_deploy = node.get<bool>("reset_on_deploy", o.reset_on_deploy);
        o.update_every =
            node.get<int64_t>("update_every", o.update_every, int_in_range(1, 1000000));
        if (o.warmup > o.window)
          node.fail("warmup", "warmup exceeds window: the window could never fill it");
        return SampleGuardFactory([o] { return std::make_unique<AdaptiveThresholdGuard>(o); });
      });
  registry.gates.add("none", "deploy every retrained model", [](ConfigNode&) {
    return RetrainGateFactory([] { return std::make_unique<AlwaysDeploy>(); });
  });
  registry.gates.add(
      "validation",
      "refuse a retrained model whose clean-validation loss rose by more than "
      "`max_loss_increase` (or accuracy fell by more than `max_accuracy_drop`)",
      [](ConfigNode& node) {
        const double max_loss = node.get<double>("max_loss_increase", 0.05, at_least(0));
        const auto max_drop = node.optional<double>("max_accuracy_drop", in_range(0, 1));
        return RetrainGateFactory(
            [max_loss, max_drop] { return std::make_unique<ValidationGate>(max_loss, max_drop); });
      });
}

}  // namespace poisonsim
