#pragma once
// Label flipping, the simplest poisoning baseline: clean images with a wrong label.
#include <cstdint>

#include "attackers/common/poison_labels.h"
#include "pipeline/data/dataset.h"
#include "pipeline/plugins/attacker.h"

namespace poisonsim {

// Scenario type "label-flip": draws seed images from the attacker's clean pool and gives them
// wrong labels (next-class or random-other).
class LabelFlipAttacker : public PoisonGenerator {
 public:
  explicit LabelFlipAttacker(PoisonLabels rule) : rule_(rule) {}
  PoisonBatch generate(AttackContext& context, int64_t count) override;

 private:
  PoisonLabels rule_;
};

}  // namespace poisonsim
