#include "attackers/generative.h"

#include <chrono>
#include <cstring>
#include <limits>
#include <numeric>
#include <optional>

#include <fmt/format.h>
#include <torch/torch.h>

#include "attackers/evasion_torch.h"
#include "attackers/generative_copy.h"
#include "attackers/generative_impl.h"
#include "attackers/generator_net.h"
#include "attackers/seed_samples.h"
#include "attackers/unrolled_copy.h"
#include "pipeline/model/torch_model.h"
#include "pipeline/model/training.h"
#include "sim/error.h"
#include "sim/progress.h"
#include "sim/random_stream.h"
#include "sim/stage_times.h"

namespace poisonsim {
namespace {

using Params = std::vector<torch::Tensor>;

constexpr int64_t kSelectBatch = 32;     // the victim's retraining batch in damage measurements
constexpr int64_t kForwardBatch = 1024;  // G forward passes without gradients
constexpr int64_t kSpreadSamples = 500;  // pairwise distances over at most this many outputs

torch::Tensor cross_entropy(const torch::Tensor& logits, const torch::Tensor& labels) {
  return torch::nn::functional::cross_entropy(logits, labels);
}

Params detached(const Params& params) {
  Params out;
  for (const auto& p : params) out.push_back(p.detach());
  return out;
}

torch::Tensor to_tensor(const std::vector<int64_t>& labels) {
  return torch::tensor(labels, torch::kInt64);
}

// G applied to every seed (no gradients); labels are copied from the seeds.
Dataset apply_generator(const GeneratorNet& net, const Dataset& seeds) {
  torch::NoGradGuard no_grad;
  Dataset out = seeds;
  const auto images = images_tensor(seeds);
  const auto n = static_cast<int64_t>(seeds.size());
  const int64_t per = seeds.shape.numel();
  for (int64_t first = 0; first < n; first += kForwardBatch) {
    const int64_t count = std::min(kForwardBatch, n - first);
    const auto poison = net.forward(images.narrow(0, first, count)).contiguous();
    std::memcpy(out.pixels.data() + first * per, poison.data_ptr<float>(),
                static_cast<size_t>(count * per) * sizeof(float));
  }
  return out;
}

PoisonStats spread_of(const Dataset& poison, const Dataset& seeds) {
  PoisonStats stats;
  const auto a = images_tensor(poison).flatten(1);
  const auto b = images_tensor(seeds).flatten(1);
  stats.mean_l2_from_seed = (a - b).norm(2, 1).mean().item<double>();
  const int64_t m = std::min<int64_t>(kSpreadSamples, a.size(0));
  if (m >= 2) {
    stats.mean_pairwise_l2 = torch::pdist(a.narrow(0, 0, m)).mean().item<double>();
    stats.seed_pairwise_l2 = torch::pdist(b.narrow(0, 0, m)).mean().item<double>();
  }
  return stats;
}

bool same_generator(const GeneratorSpec& a, const GeneratorSpec& b) {
  return a.kind == b.kind && a.encoder == b.encoder && a.code == b.code && a.decoder == b.decoder &&
         a.conv_channels == b.conv_channels;
}

void check_fits(const Dataset& data, const ModelSpec& spec, const std::string& role) {
  const std::string where = data.name.empty() ? "attacker" : data.name;
  if (data.empty()) throw UserError(where, fmt::format("the {} is empty", role));
  if (data.shape != spec.input)
    throw UserError(where, fmt::format("{} images are {}, the target model takes {}", role,
                                       data.shape.str(), spec.input.str()));
}

// One training of G: the loop, both update rules and checkpoint selection.
class Trainer {
 public:
  Trainer(const AttackProblem& problem, const Dataset& pool, const GenerativeOptions& options,
          GeneratorNet& net, RandomStream& rng)
      : problem_(problem),
        spec_(problem.model.spec()),
        pool_(pool),
        options_(options),
        net_(net),
        rng_(rng),
        original_(detached(problem.model.impl().params)),
        validation_(
            draw_seed_samples(problem.validation,
                              std::min<int64_t>(options.validation_samples,
                                                static_cast<int64_t>(problem.validation.size())),
                              rng)),
        validation_x_(images_tensor(validation_)),
        validation_y_(labels_tensor(validation_)),
        pool_x_(images_tensor(pool_)),
        order_(pool.size()) {
    std::iota(order_.begin(), order_.end(), int64_t{0});
    cursor_ = order_.size();
    select_seeds_ = draw_seed_samples(pool, options.select_samples, rng);
    select_labels_ = poison_labels(select_seeds_.labels, options.labels, spec_.num_classes, rng);
    select_shuffle_seed_ = rng.next_u64();
    if (options.rule == GenerativeRule::first_order)
      first_order_copy_.emplace(spec_, original_, validation_x_, validation_y_, problem.retrain_lr);
    else
      unrolled_copy_.emplace(spec_, original_, validation_x_, validation_y_, problem.retrain_lr);
  }

  void run(GenerativeReport& report, Progress* progress) {
    torch::optim::Adam adam(net_.parameters(), torch::optim::AdamOptions(options_.lr));
    report.base_accuracy = evaluate(problem_.model, validation_).accuracy;
    std::vector<torch::Tensor> best;
    auto select = [&](int64_t step) {
      const double accuracy = damage_accuracy();
      report.select_steps.push_back(step);
      report.select_accuracy.push_back(accuracy);
      if (report.selected_step < 0 || accuracy < report.selected_accuracy) {
        report.selected_step = step;
        report.selected_accuracy = accuracy;
        best = net_.snapshot();
      }
    };
    if (options_.select_every > 0) select(0);
    for (int64_t step = 1; step <= options_.steps; ++step) {
      const auto [x, y] = next_batch();
      torch::Tensor loss;
      const double reward = options_.rule == GenerativeRule::unrolled
                                ? unrolled_loss(x, y, loss)
                                : first_order_loss(x, y, loss);
      adam.zero_grad();
      // Gradients for G only: the unrolled window starts from leaves (the copy's weights) whose
      // own gradients nobody uses; naming G's parameters lets autograd skip that part.
      loss.backward({}, c10::nullopt, false, net_.parameters());
      adam.step();
      report.reward_by_step.push_back(reward);
      if (options_.rule == GenerativeRule::unrolled) {
        if (step % options_.copy_reset_every == 0) reset_copy();
      } else if (reward > best_reward_) {
        best_reward_ = reward;
        since_best_ = 0;
      } else if (++since_best_ >= options_.reset_patience) {
        reset_copy();
      }
      if (options_.select_every > 0 &&
          (step % options_.select_every == 0 || step == options_.steps))
        select(step);
      if (progress) progress->advance(1, fmt::format("reward {:.3f}", reward));
    }
    report.steps = options_.steps;
    report.copy_resets = resets_;
    if (!best.empty()) {
      net_.restore(best);
      report.selected_damage = report.base_accuracy - report.selected_accuracy;
    }
    report.spread = spread_of(apply_generator(net_, select_seeds_), select_seeds_);
  }

 private:
  // The next batch_size seeds (reshuffled passes over the pool) and their poison labels.
  std::pair<torch::Tensor, torch::Tensor> next_batch() {
    std::vector<int64_t> index;
    std::vector<int64_t> seed_labels;
    while (static_cast<int64_t>(index.size()) < options_.batch_size) {
      if (cursor_ == order_.size()) {
        rng_.shuffle(order_.begin(), order_.end());
        cursor_ = 0;
      }
      index.push_back(order_[cursor_]);
      seed_labels.push_back(pool_.labels[static_cast<size_t>(order_[cursor_])]);
      ++cursor_;
    }
    const auto labels = poison_labels(seed_labels, options_.labels, spec_.num_classes, rng_);
    return {pool_x_.index_select(0, to_tensor(index)), to_tensor(labels)};
  }

  // Unrolled rule: the copy takes SGD steps over chunks of G's output, differentiably, in windows
  // of unroll_steps steps; G descends minus the clean-validation loss at the end of each window.
  // The copy keeps the (detached) weights it reached. Returns the last window's validation loss.
  double unrolled_loss(const torch::Tensor& x, const torch::Tensor& y, torch::Tensor& loss) {
    const auto poison = net_.forward(x);
    const int64_t n = poison.size(0);
    torch::Tensor objective = torch::zeros({});
    int64_t windows = 0;
    int64_t chunk = 0;
    double reward = 0;
    auto& copy = *unrolled_copy_;
    for (int64_t first = 0; first < n; first += options_.unroll_chunk) {
      const int64_t count = std::min(options_.unroll_chunk, n - first);
      copy.step(poison.narrow(0, first, count), y.narrow(0, first, count));
      if (++chunk % options_.unroll_steps != 0 && first + count < n) continue;
      const auto validation_loss = copy.end_window();
      objective = objective + validation_loss;
      reward = validation_loss.item<double>();
      ++windows;
    }
    loss = -objective / static_cast<double>(windows) + identity_term(x, poison);
    add_cap_term(loss, poison, y);
    return reward;
  }

  // First-order rule: the copy is stepped on G's detached output; the reward is its clean-
  // validation loss; G ascends the copy's cross-entropy on (G(x), y_p), so the only gradient G
  // receives is the one the target hands back for x_p.
  double first_order_loss(const torch::Tensor& x, const torch::Tensor& y, torch::Tensor& loss) {
    const auto poison = net_.forward(x);
    const auto frozen_poison = poison.detach();
    const int64_t n = poison.size(0);
    auto& copy = *first_order_copy_;
    for (int64_t first = 0; first < n; first += options_.unroll_chunk) {
      const int64_t count = std::min(options_.unroll_chunk, n - first);
      copy.step(frozen_poison.narrow(0, first, count), y.narrow(0, first, count));
    }
    const double reward = copy.validation_loss();
    const auto logits = functional_forward(spec_, copy.weights(), poison);
    const auto push = options_.first_order_objective == FirstOrderObjective::ascend_loss
                          ? -cross_entropy(logits, y)
                          : cross_entropy(logits, (y + 1).remainder(spec_.num_classes));
    loss = push + identity_term(x, poison);
    add_cap_term(loss, poison, y);
    return reward;
  }

  torch::Tensor identity_term(const torch::Tensor& x, const torch::Tensor& poison) const {
    if (options_.identity_weight == 0) return torch::zeros({});
    return options_.identity_weight * (poison - x).pow(2).mean();
  }

  // The guard-aware hinge, on the original model (the one the guard scores with, as the attacker
  // knows it), not on the drifting copy.
  void add_cap_term(torch::Tensor& loss, const torch::Tensor& poison,
                    const torch::Tensor& y) const {
    if (!problem_.loss_cap || options_.cap_penalty == 0) return;
    loss = loss + options_.cap_penalty * cap_hinge(functional_forward(spec_, original_, poison), y,
                                                   *problem_.loss_cap);
  }

  void reset_copy() {
    if (first_order_copy_) first_order_copy_->reset();
    if (unrolled_copy_) unrolled_copy_->reset();
    best_reward_ = -std::numeric_limits<double>::infinity();
    since_best_ = 0;
    ++resets_;
  }

  // Real damage of the current G: the original model retrained as the victim would (plain SGD,
  // retrain_lr, batch 32, one epoch, a fixed shuffle) on G's output for the select set (under
  // the cap when there is one, as it will be sent), then its accuracy on the validation subset.
  double damage_accuracy() const {
    Dataset poison = apply_generator(net_, select_seeds_);
    poison.labels = select_labels_;
    if (problem_.loss_cap)
      project_under_cap(problem_.model, poison, select_seeds_, *problem_.loss_cap);
    TargetModel victim = problem_.model.clone();
    TrainOptions train;
    train.learning_rate = problem_.retrain_lr;
    train.batch_size = kSelectBatch;
    train.seed = select_shuffle_seed_;
    train_model(victim, poison, train);
    return evaluate(victim, validation_).accuracy;
  }

  const AttackProblem& problem_;
  const ModelSpec& spec_;
  const Dataset& pool_;
  const GenerativeOptions& options_;
  GeneratorNet& net_;
  RandomStream& rng_;
  Params original_;
  std::optional<GenerativeCopy> first_order_copy_;  // first-order: the copy and its reward
  std::optional<UnrolledCopy> unrolled_copy_;       // unrolled: the copy and its windows
  Dataset validation_;
  torch::Tensor validation_x_;
  torch::Tensor validation_y_;
  torch::Tensor pool_x_;
  std::vector<int64_t> order_;
  size_t cursor_ = 0;
  Dataset select_seeds_;
  std::vector<int64_t> select_labels_;
  uint64_t select_shuffle_seed_ = 0;
  double best_reward_ = -std::numeric_limits<double>::infinity();
  int64_t since_best_ = 0;
  int64_t resets_ = 0;
};

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
  Trainer(problem, seed_pool, options, *impl.net, rng).run(out, progress);
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
