#include "pipeline/simulation/poison_reserve.h"

#include <algorithm>
#include <utility>

#include "sim/kernel/state_archive.h"

namespace poisonsim {

PoisonReserve::PoisonReserve(std::unique_ptr<PoisonGenerator> inner, int64_t ahead)
    : inner_(std::move(inner)), ahead_(ahead) {}

PoisonBatch PoisonReserve::generate(AttackContext& context, int64_t count) {
  if (made_for_ != context.model_version) {
    dropped_ += static_cast<int64_t>(reserve_.remaining());
    reserve_.clear();
  }
  if (reserve_.remaining() < static_cast<size_t>(count)) {
    // Too few left for this batch: what is left starts the batch, a fresh reserve the rest.
    PoisonBatch left = reserve_.take(reserve_.remaining());
    PoisonBatch made = inner_->generate(context, std::max<int64_t>(ahead_, count));
    if (!left.samples.empty()) {
      left.samples.append(made.samples);
      left.seeds.append(made.seeds);
      made = std::move(left);
    }
    reserve_ = PoisonQueue{std::move(made), 0};
    made_for_ = context.model_version;
  }
  return reserve_.take(static_cast<size_t>(count));
}

void PoisonReserve::save_state(StateOut& out) const {
  inner_->save_state(out);
  out.section("poison reserve");
  out(static_cast<uint64_t>(reserve_.next), made_for_, dropped_);
  reserve_.save(out);
}

void PoisonReserve::load_state(StateIn& in) {
  inner_->load_state(in);
  in.section("poison reserve");
  uint64_t next = 0;
  in(next, made_for_, dropped_);
  reserve_.next = static_cast<size_t>(next);
  reserve_.load(in, "poison reserve");
}

}  // namespace poisonsim
