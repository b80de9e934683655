#pragma once
// Accepted samples waiting for the next retrain, with a capacity and an eviction rule:
// fifo drops the oldest sample, reservoir keeps a uniform sample of everything accepted since
// the last clear (Vitter's algorithm R).
#include <cstdint>
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

  // Memory one retained sample takes: its pixels (float), its label and its poison flag.
  static int64_t bytes_per_sample(const ImageShape& shape) {
    return shape.numel() * static_cast<int64_t>(sizeof(float)) +
           static_cast<int64_t>(sizeof(int64_t) + sizeof(uint8_t));
  }

  void add(const float* image, int64_t label, bool is_poison);
  void clear();

  size_t size() const { return data_.size(); }
  int64_t capacity() const { return capacity_; }
  int64_t poison_count() const;
  const Dataset& contents() const { return data_; }

  // Checkpoints: the samples, their poison flags and the eviction rule's position.
  void save_state(StateOut& out) const;
  void load_state(StateIn& in);

 private:
  Dataset data_;
  std::vector<uint8_t> is_poison_;
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
