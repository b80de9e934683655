#include "tools/bench/reference_setup.h"

#include <fmt/format.h>

#include "sim/util/error.h"
#include "tools/bench/reference_exchange.h"

namespace poisonsim::bench {

ReferenceSetup make_reference_setup(AttackSession& session,
                                    const std::vector<std::string>& direct_params,
                                    const std::vector<std::string>& generative_params) {
  ReferenceSetup setup{session,
                       {},
                       0.1,
                       {},
                       0.1,
                       session.scenario().seed,
                       static_cast<int>(session.scenario().train_threads)};
  const auto direct_attacker = session.make_attacker({"direct", 0, direct_params});
  const auto* direct = dynamic_cast<const DirectGradientAttacker*>(direct_attacker.get());
  const auto generative_attacker = session.make_attacker({"generative", 0, generative_params});
  const auto* generative = dynamic_cast<const GenerativeAttacker*>(generative_attacker.get());
  if (!direct || !generative)
    throw std::logic_error("the direct or generative type is not built in");
  if (direct->evades())
    throw UserError("--direct-param", "the PyTorch reference has no guard-aware cap: drop evade");
  if (generative->evades())
    throw UserError("--generative-param",
                    "the PyTorch reference has no guard-aware cap: drop evade");
  setup.direct = direct->options();
  setup.direct_lr = direct->retrain_lr();
  setup.generative = generative->options();
  setup.generative_lr = generative->retrain_lr();
  return setup;
}

nlohmann::json reference_options(const DirectOptions& o) {
  return {{"group_size", o.group_size},     {"iterations", o.iterations},
          {"step_size", o.step_size},       {"tolerance", o.tolerance},
          {"unroll_steps", o.unroll_steps}, {"validation_samples", o.validation_samples},
          {"project", o.project},           {"labels", to_string(o.labels)}};
}

nlohmann::json reference_options(const GenerativeOptions& o) {
  return {{"rule", to_string(o.rule)},
          {"first_order_objective", to_string(o.first_order_objective)},
          {"lr", o.lr},
          {"steps", o.steps},
          {"batch_size", o.batch_size},
          {"unroll_steps", o.unroll_steps},
          {"unroll_chunk", o.unroll_chunk},
          {"copy_reset_every", o.copy_reset_every},
          {"reset_patience", o.reset_patience},
          {"select_every", o.select_every},
          {"select_samples", o.select_samples},
          {"validation_samples", o.validation_samples},
          {"identity_weight", o.identity_weight},
          {"labels", to_string(o.labels)}};
}

void write_reference_data(const std::string& path, const ReferenceSetup& setup, int64_t seeds,
                          uint64_t generator_seed) {
  const auto& model = setup.session.model();
  const auto& data = setup.session.data();
  const auto generator =
      initial_generator_weights(setup.generative.generator, model.spec().input, generator_seed);
  ExchangeFile file(path);
  file.attribute("model_spec", model_spec_json(model.spec()));
  file.attribute("generator_spec",
                 nlohmann::json{{"kind", to_string(generator.kind)},
                                {"conv_channels", setup.generative.generator.conv_channels}}
                     .dump());
  file.weights("target", model.weights());
  file.dataset("validation", data.attacker_validation);
  file.dataset("pool", data.attacker_pool);
  file.dataset("seeds", setup.session.seeds(seeds));
  file.weights("generator", generator.weights);
}

}  // namespace poisonsim::bench
