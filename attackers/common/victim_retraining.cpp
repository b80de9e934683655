#include "attackers/common/victim_retraining.h"

#include "pipeline/scenario/config_node.h"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

#include "attackers/common/seed_samples.h"
#include "attackers/common/victim_retraining_torch.h"
#include "pipeline/model/torch_model.h"
#include "sim/util/error.h"

namespace poisonsim {

const EnumNames<AttackObjective>& attack_objective_names() {
  static const EnumNames<AttackObjective> names(
      "objective",
      {{AttackObjective::paper, "paper"}, {AttackObjective::victim_aware, "victim-aware"}});
  return names;
}

AttackObjective parse_attack_objective(const std::string& text, const std::string& where) {
  return attack_objective_names().parse(text, where);
}

std::string to_string(AttackObjective value) { return attack_objective_names().name(value); }

int64_t VictimRetraining::clean_per_step(int64_t poison_per_step) const {
  if (objective == AttackObjective::paper || poison_share >= 1) return 0;
  const double clean = static_cast<double>(poison_per_step) * (1 - poison_share) / poison_share;
  return std::max<int64_t>(0, static_cast<int64_t>(std::llround(clean)));
}

CleanChunks draw_clean_chunks(const VictimRetraining& victim, const Dataset& pool, int64_t steps,
                              int64_t poison_per_step, RandomStream& rng) {
  CleanChunks chunks;
  chunks.per_step = victim.clean_per_step(poison_per_step);
  const bool recovers = victim.recovery_steps > 0;
  if (chunks.per_step == 0 && !recovers) return chunks;
  if (pool.empty())
    throw UserError("attacker", "the victim-aware objective needs clean samples of its own");
  if (chunks.per_step > 0) {
    const Dataset drawn = draw_seed_samples(pool, chunks.per_step * steps, rng);
    chunks.images = images_tensor(drawn).clone();
    chunks.labels = labels_tensor(drawn).clone();
  }
  if (recovers) {
    // Recovery batches are the size of the victim's mixed ones, as the next window trains.
    chunks.recovery_batch = poison_per_step + chunks.per_step;
    const Dataset drawn =
        draw_seed_samples(pool, chunks.recovery_batch * victim.recovery_steps, rng);
    chunks.recovery_images = images_tensor(drawn).clone();
    chunks.recovery_labels = labels_tensor(drawn).clone();
  }
  return chunks;
}

std::pair<torch::Tensor, torch::Tensor> mixed_batch(const CleanChunks& clean, int64_t step,
                                                    const torch::Tensor& images,
                                                    const torch::Tensor& labels) {
  if (clean.per_step == 0) return {images, labels};
  const auto rows = clean.images.narrow(0, step * clean.per_step, clean.per_step);
  return {torch::cat({images, rows.to(images.dtype())}),
          torch::cat({labels, clean.labels.narrow(0, step * clean.per_step, clean.per_step)})};
}

std::vector<torch::Tensor> simulate_retraining(const ModelSpec& spec,
                                               const std::vector<torch::Tensor>& params,
                                               const torch::Tensor& poison,
                                               const torch::Tensor& poison_labels,
                                               const CleanChunks* clean, double lr, int64_t steps,
                                               bool create_graph) {
  const int64_t n = poison.size(0);
  steps = std::clamp<int64_t>(steps, 1, std::max<int64_t>(n, 1));
  const CleanChunks none;
  const CleanChunks& mix = clean ? *clean : none;
  std::vector<torch::Tensor> weights = params;
  for (int64_t k = 0; k < steps; ++k) {
    const int64_t begin = n * k / steps;
    const int64_t end = n * (k + 1) / steps;
    const auto [images, labels] =
        mixed_batch(mix, k, poison.slice(0, begin, end), poison_labels.slice(0, begin, end));
    weights = functional_sgd_step(spec, weights, images, labels, lr, create_graph);
  }
  const int64_t recovery =
      mix.recovery_batch > 0 ? mix.recovery_images.size(0) / mix.recovery_batch : 0;
  for (int64_t m = 0; m < recovery; ++m) {
    const int64_t first = m * mix.recovery_batch;
    const auto images = mix.recovery_images.narrow(0, first, mix.recovery_batch);
    weights = functional_sgd_step(spec, weights, images.to(poison.dtype()),
                                  mix.recovery_labels.narrow(0, first, mix.recovery_batch), lr,
                                  create_graph);
  }
  return weights;
}

// The objective both optimising methods share (attackers/common/victim_retraining.h): `objective`
// (paper or victim-aware) and `poison_share`, the share of poison in the victim's mini-batches
// the attacker expects.
VictimRetraining read_victim_retraining(ConfigNode& node) {
  VictimRetraining victim;
  victim.objective = node.get_enum("objective", victim.objective, attack_objective_names());
  victim.poison_share = node.get<double>("poison_share", victim.poison_share, in_range(1e-6, 1));
  return victim;
}

}  // namespace poisonsim
