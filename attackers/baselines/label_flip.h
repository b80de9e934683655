#pragma once
// Label flipping, the simplest poisoning baseline: clean images with a wrong label. With `evade`
// it is guard-aware: it sends only flips whose loss on its model, at the flipped label, stays at
// or under the cap (the loss guard's threshold, known or estimated, less a margin), drawing more
// candidates from its pool until a batch is full: the flips a loss guard cannot see.
#include <cstdint>
#include <optional>

#include "attackers/common/evasion.h"
#include "attackers/common/poison_labels.h"
#include "pipeline/data/dataset.h"
#include "pipeline/plugins/attacker.h"

namespace poisonsim {

// Candidate batches a guard-aware flip draws before it gives up and fills the batch with the
// lowest-loss flips it found (counted as sent over the cap).
constexpr int kGuardAwareFlipRounds = 20;

// Scenario type "label-flip": draws seed images from the attacker's clean pool and gives them
// wrong labels (next-class or random-other).
class LabelFlipAttacker : public PoisonGenerator {
 public:
  explicit LabelFlipAttacker(PoisonLabels rule, std::optional<EvasionOptions> evade = std::nullopt)
      : rule_(rule) {
    if (evade) evasion_.emplace(*evade);
  }
  PoisonBatch generate(AttackContext& context, int64_t count) override;
  const std::optional<GuardEvasion>& evasion() const { return evasion_; }
  void save_state(StateOut& out) const override { save_evasion(out, evasion_); }
  void load_state(StateIn& in) override { load_evasion(in, evasion_); }

 private:
  PoisonBatch flips(AttackContext& context, int64_t count) const;
  PoisonBatch flips_under_cap(AttackContext& context, int64_t count, double cap);

  PoisonLabels rule_;
  std::optional<GuardEvasion> evasion_;
};

}  // namespace poisonsim
