#pragma once
// Accepted samples waiting for the next retrain, with a capacity and an eviction rule:
// fifo drops the oldest sample, reservoir keeps a uniform sample of everything accepted since
// the last clear (Vitter's algorithm R).
#include <cstdint>
#include <string>
#include <vector>

#include "pipeline/data/dataset.h"
#include "sim/kernel/random_stream.h"

namespace poisonsim {

enum class Eviction;
class StateIn;
class StateOut;

class RetrainBuffer {
 public:
  RetrainBuffer(ImageShape shape, int64_t num_classes, int64_t capacity, Eviction eviction,
                RandomStream rng);

  // Memory one retained sample takes: its pixels (float), its label, its poison flag, its trace
  // row and its source.
  static int64_t bytes_per_sample(const ImageShape& shape) {
    return shape.numel() * static_cast<int64_t>(sizeof(float)) +
           static_cast<int64_t>(2 * sizeof(int64_t) + sizeof(uint8_t) + sizeof(int32_t));
  }

  // `sample_row`: the sample's row in the trace's samples table (-1 without one), so that a
  // window sanitizer's removal can be recorded there; `source`: the stream or attacker it came
  // from (the per-source gate judges sources).
  void add(const float* image, int64_t label, bool is_poison, int64_t sample_row = -1,
           const std::string& source = "");
  void clear();
  // A sliding window over retrains (retrain.buffer.keep_windows): with a limit of W > 0, each
  // sample remembers the window it arrived in, and end_window() (after each retrain) drops the
  // samples that arrived more than W - 1 windows before the one starting now.
  void set_window_limit(int64_t windows) { window_limit_ = windows; }
  void end_window();
  // Drops the samples whose `drop` entry is non-zero (one entry per sample, in slot order), as a
  // window sanitizer decided. The rest keep their age order (fifo: the oldest is evicted first,
  // once the buffer is full again). Either rule fills the freed slots with the next arrivals
  // before it evicts again; a reservoir keeps its count of samples offered, so once full it
  // keeps an arrival with the probability algorithm R would have.
  void remove(const std::vector<uint8_t>& drop);

  size_t size() const { return data_.size(); }
  int64_t capacity() const { return capacity_; }
  int64_t poison_count() const;
  const Dataset& contents() const { return data_; }
  bool is_poison(size_t slot) const { return is_poison_[slot] != 0; }
  const std::vector<uint8_t>& poison_flags() const { return is_poison_; }  // per slot, 0 or 1
  int64_t sample_row(size_t slot) const { return sample_rows_[slot]; }
  // Per slot: the index of its source in source_names() (names in order of first arrival).
  const std::vector<int32_t>& sources() const { return sources_; }
  const std::vector<std::string>& source_names() const { return source_names_; }

  // Checkpoints: the samples, their poison flags and the eviction rule's position (and, with a
  // window limit, each sample's window).
  void save_state(StateOut& out) const;
  void load_state(StateIn& in);

 private:
  Dataset data_;
  std::vector<uint8_t> is_poison_;
  std::vector<int64_t> sample_rows_;  // per slot: its samples-table row, -1 without one
  std::vector<int32_t> sources_;      // per slot: its index in source_names_
  std::vector<std::string> source_names_;
  std::vector<int64_t> windows_;      // per slot: the window it arrived in (with a window limit)
  int64_t window_limit_ = 0;
  int64_t window_ = 0;  // the current window's number (with a window limit)
  int64_t capacity_;
  Eviction eviction_;
  RandomStream rng_;
  size_t next_slot_ = 0;  // fifo: the oldest sample, overwritten next
  int64_t seen_ = 0;      // reservoir: samples offered since the last clear
};

// What a retrain trains on: the buffer itself, or, with `replay` > 0, a copy of it with that many
// pretraining samples (drawn from `rng`) appended, kept in `with_replay`. Without replay the
// buffer is not copied: it may hold 100k samples, and a copy doubled the run's peak memory.
const Dataset& retraining_set(const RetrainBuffer& buffer, const Dataset& pretrain, int64_t replay,
                              RandomStream rng, Dataset& with_replay);

}  // namespace poisonsim
