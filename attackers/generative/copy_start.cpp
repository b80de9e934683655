#include "attackers/generative/copy_start.h"

namespace poisonsim {

CopyStart::CopyStart(const ModelSpec& model, std::vector<torch::Tensor> weights,
                     torch::Tensor validation_images, torch::Tensor validation_labels,
                     double step_lr)
    : spec(model),
      original(std::move(weights)),
      validation_x(std::move(validation_images)),
      validation_y(std::move(validation_labels)),
      lr(step_lr),
      factored(model.kind == ModelKind::mlp) {
  torch::NoGradGuard no_grad;
  for (auto& p : original) p = p.detach();
  if (factored) {
    validation_x = validation_x.flatten(1).contiguous();
    original_h = torch::linear(validation_x, original[0], original[1]);
  }
}

}  // namespace poisonsim
