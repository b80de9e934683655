#include "guards/per_sample/baseline_filters.h"

#include <stdexcept>

#include "sim/kernel/state_archive.h"

namespace poisonsim {

void RandomFilter::attach(const GuardContext& context) {
  stream_.emplace(context.seed(), "guard/random-filter");
}

Verdict RandomFilter::judge(const ScoredSample& /*sample*/) {
  if (!stream_) throw std::logic_error("RandomFilter used before attach()");
  return stream_->uniform() < rate_ ? Verdict::reject : Verdict::accept;
}

void RandomFilter::save_state(StateOut& out) const {
  out.section("guard/random-filter");
  if (!stream_) throw std::logic_error("RandomFilter saved before attach()");
  out.put(*stream_);
}

void RandomFilter::load_state(StateIn& in) {
  in.section("guard/random-filter");
  if (!stream_) throw std::logic_error("RandomFilter loaded before attach()");
  in.get(*stream_);
}

Verdict OracleFilter::judge(const ScoredSample& sample) {
  if (!sample.ground_truth) throw std::logic_error("OracleFilter judged without ground truth");
  return *sample.ground_truth ? Verdict::reject : Verdict::accept;
}

}  // namespace poisonsim
