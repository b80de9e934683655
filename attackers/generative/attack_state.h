#pragma once
// GenerativeAttack's state, shared by its training (generative.cpp) and its checkpoints
// (generative_state.cpp). Private to attackers/; includes torch.
#include <memory>

#include "attackers/generative/generative_attack.h"
#include "attackers/generative/generator_net.h"

namespace poisonsim {

struct GenerativeAttack::Impl {
  std::unique_ptr<GeneratorNet> net;
  GeneratorSpec generator;
  PoisonLabels labels = PoisonLabels::seed;
};

}  // namespace poisonsim
