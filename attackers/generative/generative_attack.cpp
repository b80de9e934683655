#include "attackers/generative/generative_attack.h"

#include <chrono>
#include <optional>

#include <fmt/format.h>
#include <torch/torch.h>

#include "attackers/common/evasion_torch.h"
#include "attackers/common/seed_samples.h"
#include "attackers/generative/attack_state.h"
#include "attackers/generative/generator_net.h"
#include "attackers/generative/generator_training.h"
#include "sim/kernel/random_stream.h"
#include "sim/util/error.h"
#include "sim/util/stage_times.h"

namespace poisonsim {
namespace {

bool same_generator(const GeneratorSpec& a, const GeneratorSpec& b) {
  return a.kind == b.kind && a.encoder == b.encoder && a.code == b.code && a.decoder == b.decoder &&
         a.conv_channels == b.conv_channels && a.residual == b.residual;
}

void check_fits(const Dataset& data, const ModelSpec& spec, const std::string& role) {
  const std::string where = data.name.empty() ? "attacker" : data.name;
  if (data.empty()) throw UserError(where, fmt::format("the {} is empty", role));
  if (data.shape != spec.input)
    throw UserError(where, fmt::format("{} images are {}, the target model takes {}", role,
                                       data.shape.str(), spec.input.str()));
}

}  // namespace

// ---- names and options ----

const EnumNames<GenerativeRule>& generative_rule_names() {
  static const EnumNames<GenerativeRule> names(
      "rule",
      {{GenerativeRule::first_order, "first-order"}, {GenerativeRule::unrolled, "unrolled"}});
  return names;
}

GenerativeRule parse_generative_rule(const std::string& text, const std::string& where) {
  return generative_rule_names().parse(text, where);
}

std::string to_string(GenerativeRule value) { return generative_rule_names().name(value); }

const EnumNames<FirstOrderObjective>& first_order_objective_names() {
  static const EnumNames<FirstOrderObjective> names(
      "first-order objective", {{FirstOrderObjective::ascend_loss, "ascend-loss"},
                                {FirstOrderObjective::next_class, "next-class"}});
  return names;
}

FirstOrderObjective parse_first_order_objective(const std::string& text, const std::string& where) {
  return first_order_objective_names().parse(text, where);
}

std::string to_string(FirstOrderObjective value) {
  return first_order_objective_names().name(value);
}

const EnumNames<GeneratorKind>& generator_kind_names() {
  static const EnumNames<GeneratorKind> names("generator", {{GeneratorKind::automatic, "auto"},
                                                            {GeneratorKind::mlp, "mlp"},
                                                            {GeneratorKind::conv, "conv"}});
  return names;
}

GeneratorKind parse_generator_kind(const std::string& text, const std::string& where) {
  return generator_kind_names().parse(text, where);
}

std::string to_string(GeneratorKind value) { return generator_kind_names().name(value); }

// ---- GenerativeAttack ----

GenerativeAttack::GenerativeAttack() : impl_(std::make_unique<Impl>()) {}
GenerativeAttack::GenerativeAttack(GenerativeAttack&&) noexcept = default;
GenerativeAttack& GenerativeAttack::operator=(GenerativeAttack&&) noexcept = default;
GenerativeAttack::~GenerativeAttack() = default;

bool GenerativeAttack::trained() const { return impl_->net != nullptr; }

void GenerativeAttack::train(const AttackProblem& problem, const Dataset& seed_pool,
                             const GenerativeOptions& options, RandomStream& rng,
                             GenerativeReport* report, Progress* progress) {
  const auto start = std::chrono::steady_clock::now();
  if (!problem.model.is_native())
    throw UserError("attacker",
                    "the generative method simulates the victim's SGD update functionally and "
                    "needs a native (mlp/cnn) target, not a TorchScript module");
  if (!(problem.retrain_lr > 0))
    throw UserError("attacker.retrain_lr", fmt::format("{}: expected > 0", problem.retrain_lr));
  const ModelSpec& spec = problem.model.spec();
  check_fits(seed_pool, spec, "seed pool");
  check_fits(problem.validation, spec, "validation set");
  auto& impl = *impl_;
  const bool fresh = !impl.net || impl.net->input() != spec.input ||
                     !same_generator(impl.generator, options.generator);
  if (fresh) {
    impl.net = std::make_unique<GeneratorNet>(options.generator, spec.input, rng.next_u64(),
                                              "attacker.generator");
    impl.generator = options.generator;
  }
  impl.labels = options.labels;

  GenerativeReport local;
  GenerativeReport& out = report ? *report : local;
  out = GenerativeReport{};
  train_generator(problem, seed_pool, options, *impl.net, rng, out, progress);
  out.train_seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

PoisonBatch GenerativeAttack::generate(const Dataset& seeds, RandomStream& rng) const {
  if (!trained()) throw std::logic_error("GenerativeAttack::generate() before train()");
  if (seeds.shape != impl_->net->input())
    throw UserError(seeds.name, fmt::format("seed images are {}, the generator takes {}",
                                            seeds.shape.str(), impl_->net->input().str()));
  PoisonBatch batch;
  batch.samples = apply_generator(*impl_->net, seeds);
  batch.samples.name = seeds.name + "/generative";
  batch.seeds = seeds;
  batch.samples.labels = poison_labels(seeds.labels, impl_->labels, seeds.num_classes, rng);
  return batch;
}

// ---- GenerativeAttacker ----

PoisonBatch GenerativeAttacker::generate(AttackContext& context, int64_t count) {
  const bool stale =
      refresh_every_ > 0 && context.model_version - trained_version_ >= refresh_every_;
  const std::optional<double> cap = evasion_ ? evasion_->cap(context) : std::nullopt;
  if (!attack_.trained() || stale) {
    AttackProblem problem{context.model, context.validation, retrain_lr_};
    problem.loss_cap = cap;
    StageTimes::Scope stage(context.stages, "generator training");
    attack_.train(problem, context.clean_pool, options_, context.rng, &last_report_);
    trained_version_ = context.model_version;
    ++trainings_;
  }
  const Dataset seeds = draw_seed_samples(context.clean_pool, count, context.rng);
  PoisonBatch batch = attack_.generate(seeds, context.rng);
  if (cap) evasion_->project(context.model, batch, *cap, context.now);
  return batch;
}

}  // namespace poisonsim
