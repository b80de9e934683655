// G's training (Algorithm 2 of Yang et al. 2017): the loop, both update rules, the victim-aware
// mixing of clean samples into the copy's steps, and checkpoint selection by measured damage.
#include "attackers/generative/generator_training.h"

#include <cstring>
#include <limits>
#include <numeric>
#include <optional>
#include <tuple>

#include <ATen/record_function.h>
#include <fmt/format.h>

#include "attackers/common/evasion_torch.h"
#include "attackers/common/seed_samples.h"
#include "attackers/common/victim_retraining_torch.h"
#include "attackers/generative/first_order_copy.h"
#include "attackers/generative/unrolled_copy.h"
#include "pipeline/model/torch_model.h"
#include "pipeline/model/training.h"
#include "sim/kernel/random_stream.h"
#include "sim/util/progress.h"

namespace poisonsim {

constexpr int64_t kForwardBatch = 1024;  // G forward passes without gradients

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

namespace {

using Params = std::vector<torch::Tensor>;

constexpr int64_t kSelectBatch = 32;     // the victim's retraining batch in damage measurements
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
    // Victim-aware: damage is measured as the objective sees it, the poison mixed with clean
    // samples at the expected share (none drawn for the paper's objective).
    const int64_t select_clean = options.victim.clean_per_step(options.select_samples);
    if (select_clean > 0) select_clean_ = draw_seed_samples(pool, select_clean, rng);
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
    // The RECORD_USER_SCOPE blocks name the phases of a step for LibTorch's profiler
    // (`poisonsim bench generator`); without a profiler they cost a branch each.
    if (options_.select_every > 0) {
      RECORD_USER_SCOPE("G: damage selection");
      select(0);
    }
    for (int64_t step = 1; step <= options_.steps; ++step) {
      torch::Tensor x, y, loss;
      {
        RECORD_USER_SCOPE("G: next batch");
        std::tie(x, y) = next_batch();
      }
      double reward = 0;
      {
        RECORD_USER_SCOPE("G: objective");
        reward = options_.rule == GenerativeRule::unrolled ? unrolled_loss(x, y, loss)
                                                           : first_order_loss(x, y, loss);
      }
      {
        RECORD_USER_SCOPE("G: backward and Adam");
        adam.zero_grad();
        // Gradients for G only: the unrolled window starts from leaves (the copy's weights)
        // whose own gradients nobody uses; naming G's parameters lets autograd skip that part.
        loss.backward({}, c10::nullopt, false, net_.parameters());
        adam.step();
      }
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
          (step % options_.select_every == 0 || step == options_.steps)) {
        RECORD_USER_SCOPE("G: damage selection");
        select(step);
      }
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
      const auto [images, labels] =
          victim_batch(poison.narrow(0, first, count), y.narrow(0, first, count));
      copy.step(images, labels);
      if (++chunk % options_.unroll_steps != 0 && first + count < n) continue;
      const auto validation_loss = copy.end_window();
      objective = objective + validation_loss;
      reward = validation_loss.item<double>();
      ++windows;
    }
    loss = -objective / static_cast<double>(windows) + identity_term(x, poison) +
           diversity_term(x, poison);
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
    {
      RECORD_USER_SCOPE("G: objective: copy steps");
      for (int64_t first = 0; first < n; first += options_.unroll_chunk) {
        const int64_t count = std::min(options_.unroll_chunk, n - first);
        const auto [images, labels] =
            victim_batch(frozen_poison.narrow(0, first, count), y.narrow(0, first, count));
        copy.step(images, labels);
      }
    }
    double reward = 0;
    {
      RECORD_USER_SCOPE("G: objective: reward");
      reward = copy.validation_loss();
    }
    const auto logits = functional_forward(spec_, copy.weights(), poison);
    const auto push = options_.first_order_objective == FirstOrderObjective::ascend_loss
                          ? -cross_entropy(logits, y)
                          : cross_entropy(logits, (y + 1).remainder(spec_.num_classes));
    loss = push + identity_term(x, poison) + diversity_term(x, poison);
    add_cap_term(loss, poison, y);
    return reward;
  }

  // One simulated step's mini-batch: the poison chunk, plus (victim-aware objective) clean
  // samples from the attacker's pool at the share it expects, fresh for every step.
  std::pair<torch::Tensor, torch::Tensor> victim_batch(const torch::Tensor& poison,
                                                       const torch::Tensor& labels) {
    const CleanChunks clean = draw_clean_chunks(options_.victim, pool_, 1, poison.size(0), rng_);
    return mixed_batch(clean, 0, poison, labels);
  }

  // The diversity hinge: weight * relu(target - spread(G(x)) / spread(x)) over the batch, the
  // spread being the mean pairwise L2 distance. Zero once G's output varies at least `target`
  // times as much as its seeds, so it only resists collapse and leaves potency alone.
  torch::Tensor diversity_term(const torch::Tensor& x, const torch::Tensor& poison) const {
    if (options_.diversity_weight == 0 || x.size(0) < 2) return torch::zeros({});
    const auto seeds = torch::pdist(x.flatten(1)).mean().detach();
    const auto ratio = torch::pdist(poison.flatten(1)).mean() / seeds.clamp_min(1e-12);
    return options_.diversity_weight * torch::relu(options_.diversity_target - ratio);
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
  // the cap when there is one, as it will be sent; victim-aware: mixed with the clean part),
  // then its accuracy on the validation subset.
  double damage_accuracy() const {
    Dataset poison = apply_generator(net_, select_seeds_);
    poison.labels = select_labels_;
    if (problem_.loss_cap)
      project_under_cap(problem_.model, poison, select_seeds_, *problem_.loss_cap);
    if (!select_clean_.empty()) poison.append(select_clean_);
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
  std::optional<FirstOrderCopy> first_order_copy_;  // first-order: the copy and its reward
  std::optional<UnrolledCopy> unrolled_copy_;       // unrolled: the copy and its windows
  Dataset validation_;
  torch::Tensor validation_x_;
  torch::Tensor validation_y_;
  torch::Tensor pool_x_;
  std::vector<int64_t> order_;
  size_t cursor_ = 0;
  Dataset select_seeds_;
  Dataset select_clean_;  // victim-aware: the clean part of the damage measurement
  std::vector<int64_t> select_labels_;
  uint64_t select_shuffle_seed_ = 0;
  double best_reward_ = -std::numeric_limits<double>::infinity();
  int64_t since_best_ = 0;
  int64_t resets_ = 0;
};

}  // namespace

void train_generator(const AttackProblem& problem, const Dataset& pool,
                     const GenerativeOptions& options, GeneratorNet& net, RandomStream& rng,
                     GenerativeReport& report, Progress* progress) {
  Trainer(problem, pool, options, net, rng).run(report, progress);
}

}  // namespace poisonsim
