#pragma once
// The guard-aware option on the LibTorch side, for the attacks that already work on tensors (the
// direct method's ascent, the generator's training). Include only from .cpp files that use torch.
#include <torch/torch.h>

#include "attackers/common/evasion.h"
#include "pipeline/model/target_model.h"

namespace poisonsim {

// Which samples project_under_cap() moved: over the cap (pulled back) and, among them, those
// sent as their seed. Bool tensors, one entry per sample.
struct CapMasks {
  torch::Tensor projected;
  torch::Tensor seeds;
};

// Per-sample cross-entropy of `model` on (images, labels), without gradients.
torch::Tensor per_sample_loss(const TargetModel& model, const torch::Tensor& images,
                              const torch::Tensor& labels);

// project_under_cap() on tensors: `poison` (N x C x H x W) is written in place, without gradient
// tracking, so it may be a leaf that requires grad (the direct method's ascent variable).
CapMasks project_under_cap(const TargetModel& model, torch::Tensor& poison,
                           const torch::Tensor& seeds, const torch::Tensor& labels, double cap);

ProjectionCounts counts_of(const CapMasks& masks);

// mean(relu(CE(logits, labels) - cap)) per sample: the hinge penalty that teaches a generator to
// stay under the cap (differentiable in the logits).
torch::Tensor cap_hinge(const torch::Tensor& logits, const torch::Tensor& labels, double cap);

}  // namespace poisonsim
