#pragma once
// Scenario type "replay": poison read from a file (replay_file.h), handed out a batch per
// arrival in file order or in an order shuffled by the attacker's own random stream, so the
// same seed hands out the same samples at the same times. When the file runs out it stops (the
// default: nothing is sent twice) or starts another pass (reshuffled when shuffled).
#include <memory>
#include <vector>

#include "attackers/replay/replay_file.h"
#include "pipeline/plugins/attacker.h"

namespace poisonsim {

enum class ReplayOrder { file, shuffled };
enum class ReplayEnd { stop, cycle };
const EnumNames<ReplayOrder>& replay_order_names();
const EnumNames<ReplayEnd>& replay_end_names();

class ReplayAttacker : public PoisonGenerator {
 public:
  ReplayAttacker(std::shared_ptr<const ReplaySet> set, ReplayOrder order, ReplayEnd at_end);
  PoisonBatch generate(AttackContext& context, int64_t count) override;
  bool exhausted() const override;
  void save_state(StateOut& out) const override;
  void load_state(StateIn& in) override;

 private:
  void start_pass(RandomStream& rng);

  std::shared_ptr<const ReplaySet> set_;  // shared by every run of the parsed scenario
  ReplayOrder order_;
  ReplayEnd at_end_;
  std::vector<size_t> pass_;  // this pass's sample order; empty before the first batch
  size_t next_ = 0;           // position in pass_
  int64_t passes_ = 0;
};

}  // namespace poisonsim
