// Checkpoints of the generative method: G's weights and the attacker's refresh bookkeeping.
#include <fmt/format.h>

#include "attackers/generative/attack_state.h"
#include "sim/kernel/state_archive.h"
#include "sim/util/error.h"

namespace poisonsim {

void GenerativeAttack::save_state(StateOut& out) const {
  out.section("generator");
  out(trained());
  if (!trained()) return;
  const ImageShape& input = impl_->net->input();
  out(input.channels, input.height, input.width);
  std::vector<std::vector<float>> weights;
  for (const auto& tensor : impl_->net->snapshot()) {
    const auto values = tensor.contiguous();
    weights.emplace_back(values.data_ptr<float>(), values.data_ptr<float>() + values.numel());
  }
  out(weights);
}

void GenerativeAttack::load_state(StateIn& in, const GeneratorSpec& generator,
                                  PoisonLabels labels) {
  in.section("generator");
  bool was_trained = false;
  in(was_trained);
  if (!was_trained) {
    impl_->net.reset();
    return;
  }
  ImageShape input;
  in(input.channels, input.height, input.width);
  std::vector<std::vector<float>> weights;
  in(weights);
  if (input.channels <= 0 || input.height <= 0 || input.width <= 0 || input.channels > 4096 ||
      input.height > 65536 || input.width > 65536)
    throw UserError(in.where(), "the saved generator's input shape is corrupt");
  // The seed is irrelevant: every weight is replaced below.
  auto net = std::make_unique<GeneratorNet>(generator, input, 0, in.where());
  auto tensors = net->snapshot();
  if (tensors.size() != weights.size())
    throw UserError(in.where(), fmt::format("holds {} generator tensors, the scenario's has {}",
                                            weights.size(), tensors.size()));
  for (size_t i = 0; i < tensors.size(); ++i) {
    if (static_cast<int64_t>(weights[i].size()) != tensors[i].numel())
      throw UserError(in.where(), fmt::format("generator tensor {} holds {} values, G needs {}", i,
                                              weights[i].size(), tensors[i].numel()));
    tensors[i] = torch::from_blob(weights[i].data(), tensors[i].sizes(), torch::kFloat32).clone();
  }
  net->restore(tensors);
  impl_->net = std::move(net);
  impl_->generator = generator;
  impl_->labels = labels;
}

void GenerativeAttacker::save_state(StateOut& out) const {
  attack_.save_state(out);
  out(trained_version_, trainings_);
  save_evasion(out, evasion_);
}

void GenerativeAttacker::load_state(StateIn& in) {
  attack_.load_state(in, options_.generator, options_.labels);
  in(trained_version_, trainings_);
  load_evasion(in, evasion_);
}

}  // namespace poisonsim
