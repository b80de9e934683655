#pragma once
// The simulated retraining on the LibTorch side (attackers/common/victim_retraining.h). Include only
// from .cpp files that use torch.
#include <cstdint>
#include <utility>
#include <vector>

#include <torch/torch.h>

#include "attackers/common/victim_retraining.h"
#include "pipeline/data/dataset.h"
#include "pipeline/model/model_spec.h"

namespace poisonsim {

class RandomStream;

// The clean part of every simulated step: `per_step` samples for each of `steps` steps, in
// order (step k uses rows [k * per_step, (k + 1) * per_step)). Empty for the paper's objective.
struct CleanChunks {
  torch::Tensor images;
  torch::Tensor labels;
  int64_t per_step = 0;
  // The recovery steps' mini-batches (VictimRetraining::recovery_steps), `recovery_batch`
  // samples each, in order; undefined when there are none.
  torch::Tensor recovery_images;
  torch::Tensor recovery_labels;
  int64_t recovery_batch = 0;
};

// Draws the clean chunks for `steps` steps of `poison_per_step` poison each from `pool` (the
// attacker's own clean data), as float32 tensors that own their data.
CleanChunks draw_clean_chunks(const VictimRetraining& victim, const Dataset& pool, int64_t steps,
                              int64_t poison_per_step, RandomStream& rng);

// A simulated step's mini-batch: `images` and `labels` (the step's poison), followed by clean
// chunk `step` when there are clean chunks (victim-aware), as the victim's batch mixes them.
std::pair<torch::Tensor, torch::Tensor> mixed_batch(const CleanChunks& clean, int64_t step,
                                                    const torch::Tensor& images,
                                                    const torch::Tensor& labels);

// The weights after `steps` SGD steps from `params` with learning rate `lr`: step k trains on
// poison chunk k (consecutive chunks, at most one per sample) together with clean chunk k, the
// mean cross-entropy of the mixed mini-batch, as the victim computes it; then one clean-only
// step per recovery batch of `clean`. With `create_graph`
// the result stays differentiable in `poison` (second order). `params` are not modified.
std::vector<torch::Tensor> simulate_retraining(const ModelSpec& spec,
                                               const std::vector<torch::Tensor>& params,
                                               const torch::Tensor& poison,
                                               const torch::Tensor& poison_labels,
                                               const CleanChunks* clean, double lr, int64_t steps,
                                               bool create_graph);

}  // namespace poisonsim
