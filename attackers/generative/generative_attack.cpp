#include "attackers/generative/generative_attack.h"

#include <chrono>
#include <optional>

#include <fmt/format.h>
#include <torch/torch.h>

#include "attackers/common/evasion_torch.h"
#include "attackers/generative/attack_state.h"
#include "attackers/generative/generator_net.h"
#include "attackers/generative/generator_training.h"
#include "attackers/common/seed_samples.h"
#include "sim/util/error.h"
#include "sim/kernel/random_stream.h"
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

GenerativeRule parse_generative_rule(const std::string& text, const std::string& where) {
  if (text == "first-order") return GenerativeRule::first_order;
  if (text == "unrolled") return GenerativeRule::unrolled;
  throw UserError(where, fmt::format("unknown rule '{}', expected first-order or unrolled", text));
}

std::string to_string(GenerativeRule rule) {
  return rule == GenerativeRule::unrolled ? "unrolled" : "first-order";
}

FirstOrderObjective parse_first_order_objective(const std::string& text, const std::string& where) {
  if (text == "ascend-loss") return FirstOrderObjective::ascend_loss;
  if (text == "next-class") return FirstOrderObjective::next_class;
  throw UserError(where, fmt::format("unknown first-order objective '{}', expected ascend-loss or "
                                     "next-class",
                                     text));
}

std::string to_string(FirstOrderObjective objective) {
  return objective == FirstOrderObjective::next_class ? "next-class" : "ascend-loss";
}

GeneratorKind parse_generator_kind(const std::string& text, const std::string& where) {
  if (text == "auto") return GeneratorKind::automatic;
  if (text == "mlp") return GeneratorKind::mlp;
  if (text == "conv") return GeneratorKind::conv;
  throw UserError(where, fmt::format("unknown generator '{}', expected auto, mlp or conv", text));
}

std::string to_string(GeneratorKind kind) {
  switch (kind) {
    case GeneratorKind::automatic:
      return "auto";
    case GeneratorKind::mlp:
      return "mlp";
    case GeneratorKind::conv:
      return "conv";
  }
  return "?";
}

void GenerativeOptions::validate(const std::string& where) const {
  auto check = [&](bool ok, const char* key, const std::string& expected, auto value) {
    if (!ok) throw UserError(where + "." + key, fmt::format("{}: expected {}", value, expected));
  };
  auto check_widths = [&](const std::vector<int64_t>& widths, const char* key, bool allow_empty) {
    check(allow_empty || !widths.empty(), key, "at least one width", "[]");
    for (int64_t w : widths) check(w >= 1 && w <= 65536, key, "widths from 1 to 65536", w);
  };
  check_widths(generator.encoder, "encoder_widths", true);
  check(generator.code >= 1 && generator.code <= 65536, "code_width", "1 to 65536", generator.code);
  check_widths(generator.decoder, "decoder_widths", true);
  check_widths(generator.conv_channels, "conv_channels", false);
  check(generator.conv_channels.size() <= 5, "conv_channels", "at most 5 levels",
        generator.conv_channels.size());
  check(lr > 0 && lr <= 10, "lr", "a value in (0, 10]", lr);
  check(steps >= 1 && steps <= 1000000, "steps", "1 to 1000000", steps);
  check(batch_size >= 1 && batch_size <= 65536, "batch_size", "1 to 65536", batch_size);
  check(unroll_steps >= 1 && unroll_steps <= 64, "unroll_steps", "1 to 64", unroll_steps);
  check(unroll_chunk >= 1 && unroll_chunk <= 65536, "unroll_chunk", "1 to 65536", unroll_chunk);
  check(copy_reset_every >= 1, "copy_reset_every", "at least 1", copy_reset_every);
  check(reset_patience >= 1, "reset_patience", "at least 1", reset_patience);
  check(select_every >= 0, "select_every", "0 (off) or more", select_every);
  check(select_samples >= 1 && select_samples <= 1000000, "select_samples", "1 to 1000000",
        select_samples);
  check(validation_samples >= 1, "validation_samples", "at least 1", validation_samples);
  check(identity_weight >= 0 && identity_weight <= 1e6, "identity_weight", "0 to 1e6",
        identity_weight);
  check(cap_penalty >= 0 && cap_penalty <= 1e6, "evade.penalty", "0 to 1e6", cap_penalty);
  check(diversity_weight >= 0 && diversity_weight <= 1e6, "diversity_weight", "0 to 1e6",
        diversity_weight);
  check(diversity_target > 0 && diversity_target <= 2, "diversity_target", "a ratio in (0, 2]",
        diversity_target);
  check(generator.residual >= 0 && generator.residual <= 1, "residual", "0 (off) to 1",
        generator.residual);
  check(victim.poison_share > 0 && victim.poison_share <= 1, "poison_share", "a share in (0, 1]",
        victim.poison_share);
}

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
  options.validate("attacker");
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
