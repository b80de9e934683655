#include "attackers/replay/replay_attacker.h"

#include <numeric>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "sim/kernel/random_stream.h"
#include "sim/kernel/state_archive.h"
#include "sim/util/error.h"

namespace poisonsim {

const EnumNames<ReplayOrder>& replay_order_names() {
  static const EnumNames<ReplayOrder> names(
      "replay order", {{ReplayOrder::file, "file"}, {ReplayOrder::shuffled, "shuffled"}});
  return names;
}

const EnumNames<ReplayEnd>& replay_end_names() {
  static const EnumNames<ReplayEnd> names("replay end",
                                          {{ReplayEnd::stop, "stop"}, {ReplayEnd::cycle, "cycle"}});
  return names;
}

ReplayAttacker::ReplayAttacker(std::shared_ptr<const ReplaySet> set, ReplayOrder order,
                               ReplayEnd at_end)
    : set_(std::move(set)), order_(order), at_end_(at_end) {}

void ReplayAttacker::start_pass(RandomStream& rng) {
  pass_.resize(set_->poison.size());
  std::iota(pass_.begin(), pass_.end(), size_t{0});
  if (order_ == ReplayOrder::shuffled) rng.shuffle(pass_.begin(), pass_.end());
  next_ = 0;
  ++passes_;
}

bool ReplayAttacker::exhausted() const {
  return at_end_ == ReplayEnd::stop && passes_ > 0 && next_ == pass_.size();
}

PoisonBatch ReplayAttacker::generate(AttackContext& context, int64_t count) {
  if (passes_ == 0) start_pass(context.rng);
  std::vector<size_t> rows;
  while (static_cast<int64_t>(rows.size()) < count) {
    if (next_ == pass_.size()) {
      if (at_end_ == ReplayEnd::stop) break;
      start_pass(context.rng);
    }
    rows.push_back(pass_[next_++]);
  }
  if (exhausted())
    spdlog::info("replay: all {} samples of {} handed out at {} s (at_end: stop)",
                 set_->poison.size(), set_->poison.name, context.now);
  PoisonBatch batch;
  batch.samples = set_->poison.subset(rows, set_->poison.name);
  // No clean seed image is known for replayed poison: the seeds are the samples themselves,
  // with the true labels the file gives.
  batch.seeds = batch.samples;
  for (size_t i = 0; i < rows.size(); ++i) batch.seeds.labels[i] = set_->true_labels[rows[i]];
  return batch;
}

void ReplayAttacker::save_state(StateOut& out) const {
  out.section("replay");
  out(set_->digest, static_cast<uint64_t>(next_), passes_);
  std::vector<uint64_t> pass(pass_.begin(), pass_.end());
  out(pass);
}

void ReplayAttacker::load_state(StateIn& in) {
  in.section("replay");
  uint64_t digest = 0, next = 0;
  int64_t passes = 0;
  std::vector<uint64_t> pass;
  in(digest, next, passes);
  in(pass);
  if (digest != set_->digest)
    throw UserError(in.where(), fmt::format("the replay file {} is not the one the run read "
                                            "when it checkpointed (its content differs)",
                                            set_->poison.name));
  const bool fits = (pass.empty() || pass.size() == set_->poison.size()) && next <= pass.size();
  bool in_range = fits;
  for (auto i : pass) in_range = in_range && i < set_->poison.size();
  if (!in_range)
    throw UserError(in.where(), "the saved replay position does not fit the replay file");
  pass_.assign(pass.begin(), pass.end());
  next_ = static_cast<size_t>(next);
  passes_ = passes;
}

}  // namespace poisonsim
