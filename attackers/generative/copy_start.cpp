#include "attackers/generative/copy_start.h"

namespace poisonsim {

CopyStart::CopyStart(const ModelSpec& spec, std::vector<torch::Tensor> original,
                     torch::Tensor validation_images, torch::Tensor validation_labels, double lr)
    : spec_(spec),
      original_(std::move(original)),
      validation_x_(std::move(validation_images)),
      validation_y_(std::move(validation_labels)),
      lr_(lr),
      factored_(spec.kind == ModelKind::mlp) {
  torch::NoGradGuard no_grad;
  for (auto& p : original_) p = p.detach();
  if (factored_) {
    validation_x_ = validation_x_.flatten(1).contiguous();
    original_h_ = torch::linear(validation_x_, original_[0], original_[1]);
  }
}

}  // namespace poisonsim
