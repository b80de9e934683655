#include "pipeline/simulation/retrain_buffer.h"

#include <algorithm>
#include <numeric>
#include <stdexcept>

#include "pipeline/scenario/scenario.h"
#include "sim/kernel/state_archive.h"
#include "sim/util/error.h"

namespace poisonsim {

RetrainBuffer::RetrainBuffer(ImageShape shape, int64_t num_classes, int64_t capacity,
                             Eviction eviction, RandomStream rng)
    : capacity_(capacity), eviction_(eviction), rng_(rng) {
  data_.name = "retrain-buffer";
  data_.shape = shape;
  data_.num_classes = num_classes;
  // Reserved, not grown: doubling would hold up to three times the samples while it copies.
  // Pages of a large reservation are resident only once written, so an empty buffer costs none.
  data_.pixels.reserve(static_cast<size_t>(capacity) * static_cast<size_t>(shape.numel()));
  data_.labels.reserve(static_cast<size_t>(capacity));
  is_poison_.reserve(static_cast<size_t>(capacity));
  sample_rows_.reserve(static_cast<size_t>(capacity));
  sources_.reserve(static_cast<size_t>(capacity));
}

void RetrainBuffer::save_state(StateOut& out) const {
  out.section("retrain buffer");
  out(data_.pixels, data_.labels, is_poison_, sample_rows_, sources_, source_names_,
      static_cast<uint64_t>(next_slot_), seen_);
  out.put(rng_);
  // Only a run with a window limit has them: the others keep their layout.
  if (window_limit_ > 0) out(windows_, window_);
}

void RetrainBuffer::load_state(StateIn& in) {
  in.section("retrain buffer");
  uint64_t next_slot = 0;
  in(data_.pixels, data_.labels, is_poison_, sample_rows_, sources_, source_names_, next_slot,
     seen_);
  in.get(rng_);
  if (window_limit_ > 0) in(windows_, window_);
  next_slot_ = static_cast<size_t>(next_slot);
  const auto n = data_.labels.size();
  if (data_.pixels.size() != n * static_cast<size_t>(data_.shape.numel()) ||
      is_poison_.size() != n || sample_rows_.size() != n || sources_.size() != n ||
      std::any_of(sources_.begin(), sources_.end(),
                  [&](int32_t s) {
                    return s < 0 || static_cast<size_t>(s) >= source_names_.size();
                  }) ||
      n > static_cast<size_t>(capacity_) ||
      (window_limit_ > 0 && windows_.size() != n) ||
      next_slot_ > n)
    throw UserError(in.where(), "the saved retraining buffer does not fit the scenario's");
}

void RetrainBuffer::add(const float* image, int64_t label, bool is_poison, int64_t sample_row,
                        const std::string& source) {
  const auto per = static_cast<size_t>(data_.shape.numel());
  ++seen_;
  const auto named = std::find(source_names_.begin(), source_names_.end(), source);
  const auto source_index = static_cast<int32_t>(named - source_names_.begin());
  if (named == source_names_.end()) source_names_.push_back(source);
  if (static_cast<int64_t>(data_.size()) < capacity_) {
    data_.pixels.insert(data_.pixels.end(), image, image + per);
    data_.labels.push_back(label);
    is_poison_.push_back(is_poison);
    sample_rows_.push_back(sample_row);
    sources_.push_back(source_index);
    if (window_limit_ > 0) windows_.push_back(window_);
    return;
  }
  size_t slot = 0;
  if (eviction_ == Eviction::fifo) {
    slot = next_slot_;
    next_slot_ = (next_slot_ + 1) % static_cast<size_t>(capacity_);
  } else {
    const uint64_t j = rng_.below(static_cast<uint64_t>(seen_));
    if (j >= static_cast<uint64_t>(capacity_)) return;  // not kept
    slot = static_cast<size_t>(j);
  }
  std::copy(image, image + per, data_.image(slot));
  data_.labels[slot] = label;
  is_poison_[slot] = is_poison;
  sample_rows_[slot] = sample_row;
  sources_[slot] = source_index;
  if (window_limit_ > 0) windows_[slot] = window_;
}

void RetrainBuffer::remove(const std::vector<uint8_t>& drop) {
  const size_t n = data_.size();
  if (drop.size() != n) throw std::logic_error("RetrainBuffer::remove: one entry per sample");
  if (std::none_of(drop.begin(), drop.end(), [](uint8_t d) { return d != 0; })) return;
  // A full fifo buffer's oldest sample is at next_slot_: the survivors are laid out oldest
  // first, so appending (the buffer is no longer full) keeps evicting the oldest first later.
  const size_t first = eviction_ == Eviction::fifo ? next_slot_ : 0;
  const auto per = static_cast<size_t>(data_.shape.numel());
  Dataset kept{data_.name, data_.shape, data_.num_classes, {}, {}};
  kept.pixels.reserve(static_cast<size_t>(capacity_) * per);
  kept.labels.reserve(static_cast<size_t>(capacity_));
  std::vector<uint8_t> poison;
  std::vector<int64_t> rows;
  std::vector<int64_t> windows;
  std::vector<int32_t> sources;
  sources.reserve(static_cast<size_t>(capacity_));
  poison.reserve(static_cast<size_t>(capacity_));
  rows.reserve(static_cast<size_t>(capacity_));
  if (window_limit_ > 0) windows.reserve(static_cast<size_t>(capacity_));
  for (size_t k = 0; k < n; ++k) {
    const size_t slot = (first + k) % n;
    if (drop[slot]) continue;
    kept.pixels.insert(kept.pixels.end(), data_.image(slot), data_.image(slot) + per);
    kept.labels.push_back(data_.labels[slot]);
    poison.push_back(is_poison_[slot]);
    rows.push_back(sample_rows_[slot]);
    sources.push_back(sources_[slot]);
    if (window_limit_ > 0) windows.push_back(windows_[slot]);
  }
  data_ = std::move(kept);
  is_poison_ = std::move(poison);
  sample_rows_ = std::move(rows);
  sources_ = std::move(sources);
  windows_ = std::move(windows);
  next_slot_ = 0;
}

void RetrainBuffer::end_window() {
  if (window_limit_ <= 0) return;
  ++window_;
  std::vector<uint8_t> drop(windows_.size());
  for (size_t i = 0; i < windows_.size(); ++i) drop[i] = windows_[i] <= window_ - window_limit_;
  remove(drop);
}

void RetrainBuffer::clear() {
  data_.pixels.clear();
  data_.labels.clear();
  is_poison_.clear();
  sample_rows_.clear();
  sources_.clear();
  windows_.clear();
  next_slot_ = 0;
  seen_ = 0;
}

int64_t RetrainBuffer::poison_count() const {
  return std::accumulate(is_poison_.begin(), is_poison_.end(), int64_t{0});
}

const Dataset& retraining_set(const RetrainBuffer& buffer, const Dataset& pretrain, int64_t replay,
                              RandomStream rng, Dataset& with_replay) {
  if (replay == 0 || buffer.size() == 0) return buffer.contents();
  // Sized once and filled in place: appending a subset would hold the buffer three times over
  // while the vector grows (the memory estimate counts one copy, run_limits.cpp).
  const Dataset& kept = buffer.contents();
  const auto per = static_cast<size_t>(kept.shape.numel());
  const size_t total = kept.size() + static_cast<size_t>(replay);
  with_replay = Dataset{kept.name, kept.shape, kept.num_classes, {}, {}};
  with_replay.pixels.reserve(total * per);
  with_replay.labels.reserve(total);
  with_replay.append(kept);
  for (int64_t k = 0; k < replay; ++k) {
    const auto i = static_cast<size_t>(rng.below(pretrain.size()));
    with_replay.pixels.insert(with_replay.pixels.end(), pretrain.image(i), pretrain.image(i) + per);
    with_replay.labels.push_back(pretrain.labels[i]);
  }
  return with_replay;
}

}  // namespace poisonsim
