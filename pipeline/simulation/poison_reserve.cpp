#include "pipeline/simulation/poison_reserve.h"

#include <algorithm>
#include <numeric>
#include <utility>
#include <vector>

#include "sim/util/error.h"
#include "sim/kernel/state_archive.h"

namespace poisonsim {

namespace {

Dataset take_rows(const Dataset& from, size_t first, size_t count) {
  std::vector<size_t> rows(count);
  std::iota(rows.begin(), rows.end(), first);
  return from.subset(rows);
}

void save_dataset(StateOut& out, const Dataset& data) {
  out(data.shape.channels, data.shape.height, data.shape.width, data.num_classes, data.pixels,
      data.labels);
}

void load_dataset(StateIn& in, Dataset& data) {
  in(data.shape.channels, data.shape.height, data.shape.width, data.num_classes, data.pixels,
     data.labels);
  if (data.pixels.size() != data.labels.size() * static_cast<size_t>(data.shape.numel()))
    throw UserError(in.where(), "the saved poison reserve is inconsistent");
}

}  // namespace

PoisonReserve::PoisonReserve(std::unique_ptr<PoisonGenerator> inner, int64_t ahead)
    : inner_(std::move(inner)), ahead_(ahead) {}

PoisonBatch PoisonReserve::generate(AttackContext& context, int64_t count) {
  if (made_for_ != context.model_version) {
    dropped_ += static_cast<int64_t>(remaining());
    reserve_ = {};
    next_ = 0;
  }
  if (remaining() < static_cast<size_t>(count)) {
    // Too few left for this batch: what is left starts the batch, a fresh reserve the rest.
    PoisonBatch left{take_rows(reserve_.samples, next_, remaining()),
                     take_rows(reserve_.seeds, next_, remaining())};
    PoisonBatch made = inner_->generate(context, std::max<int64_t>(ahead_, count));
    if (left.samples.empty()) {
      reserve_ = std::move(made);
    } else {
      left.samples.append(made.samples);
      left.seeds.append(made.seeds);
      reserve_ = std::move(left);
    }
    next_ = 0;
    made_for_ = context.model_version;
  }
  const auto n = std::min(static_cast<size_t>(count), remaining());
  PoisonBatch batch{take_rows(reserve_.samples, next_, n), take_rows(reserve_.seeds, next_, n)};
  next_ += n;
  return batch;
}

void PoisonReserve::save_state(StateOut& out) const {
  inner_->save_state(out);
  out.section("poison reserve");
  out(static_cast<uint64_t>(next_), made_for_, dropped_);
  save_dataset(out, reserve_.samples);
  save_dataset(out, reserve_.seeds);
}

void PoisonReserve::load_state(StateIn& in) {
  inner_->load_state(in);
  in.section("poison reserve");
  uint64_t next = 0;
  in(next, made_for_, dropped_);
  load_dataset(in, reserve_.samples);
  load_dataset(in, reserve_.seeds);
  next_ = static_cast<size_t>(next);
  if (reserve_.seeds.size() != reserve_.samples.size() || next_ > reserve_.samples.size())
    throw UserError(in.where(), "the saved poison reserve is inconsistent");
}

}  // namespace poisonsim
