#include "pipeline/simulation/poison_queue.h"

#include <algorithm>
#include <numeric>
#include <string>
#include <vector>

#include "sim/kernel/state_archive.h"
#include "sim/util/error.h"

namespace poisonsim {

namespace {

void save_dataset(StateOut& out, const Dataset& data) {
  out(data.shape.channels, data.shape.height, data.shape.width, data.num_classes, data.pixels,
      data.labels);
}

void load_dataset(StateIn& in, Dataset& data, const char* what) {
  in(data.shape.channels, data.shape.height, data.shape.width, data.num_classes, data.pixels,
     data.labels);
  if (data.pixels.size() != data.labels.size() * static_cast<size_t>(data.shape.numel()))
    throw UserError(in.where(), std::string("the saved ") + what + " is inconsistent");
}

}  // namespace

Dataset take_rows(const Dataset& from, size_t first, size_t count) {
  std::vector<size_t> rows(count);
  std::iota(rows.begin(), rows.end(), first);
  return from.subset(rows);
}

PoisonBatch PoisonQueue::take(size_t count) {
  const auto n = std::min(count, remaining());
  PoisonBatch batch{take_rows(made.samples, next, n), take_rows(made.seeds, next, n)};
  next += n;
  return batch;
}

// The layout the `generate_ahead` reserve has always had in checkpoints: its counters first
// (written by the owner), then the samples and the seeds.
void PoisonQueue::save(StateOut& out) const {
  save_dataset(out, made.samples);
  save_dataset(out, made.seeds);
}

void PoisonQueue::load(StateIn& in, const char* what) {
  load_dataset(in, made.samples, what);
  load_dataset(in, made.seeds, what);
  if (made.seeds.size() != made.samples.size() || next > made.samples.size())
    throw UserError(in.where(), std::string("the saved ") + what + " is inconsistent");
}

}  // namespace poisonsim
