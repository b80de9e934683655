#include "guards/per_sample/adaptive_threshold.h"

#include "pipeline/scenario/config_node.h"

#include <algorithm>
#include <cmath>
#include <vector>

#include "sim/kernel/state_archive.h"

namespace poisonsim {

AdaptiveThresholdGuard::AdaptiveThresholdGuard(AdaptiveThresholdOptions options)
    : options_(options), threshold_(options.initial_threshold) {}

void AdaptiveThresholdGuard::save_state(StateOut& out) const {
  out.section("guard/adaptive-threshold");
  out(window_, threshold_, since_update_);
}

void AdaptiveThresholdGuard::load_state(StateIn& in) {
  in.section("guard/adaptive-threshold");
  in(window_, threshold_, since_update_);
}

Verdict AdaptiveThresholdGuard::judge(const ScoredSample& sample) {
  if (!std::isfinite(sample.loss) || sample.loss > threshold_) return Verdict::reject;
  window_.push_back(sample.loss);
  if (static_cast<int64_t>(window_.size()) > options_.window) window_.pop_front();
  if (++since_update_ >= options_.update_every) update_threshold();
  return Verdict::accept;
}

void AdaptiveThresholdGuard::on_deploy() {
  if (!options_.reset_on_deploy) return;
  window_.clear();
  since_update_ = 0;
  threshold_ = options_.initial_threshold;
}

void AdaptiveThresholdGuard::update_threshold() {
  since_update_ = 0;
  if (static_cast<int64_t>(window_.size()) < options_.warmup) return;
  double statistic = 0;
  if (options_.rule == AdaptiveThresholdOptions::Rule::quantile) {
    std::vector<float> sorted(window_.begin(), window_.end());
    const auto rank =
        static_cast<size_t>(std::min(options_.quantile * static_cast<double>(sorted.size()),
                                     static_cast<double>(sorted.size() - 1)));
    std::nth_element(sorted.begin(), sorted.begin() + static_cast<std::ptrdiff_t>(rank),
                     sorted.end());
    statistic = sorted[rank];
  } else {
    double sum = 0, sq = 0;
    for (float v : window_) {
      sum += v;
      sq += static_cast<double>(v) * v;
    }
    const double n = static_cast<double>(window_.size());
    const double mean = sum / n;
    statistic = mean + options_.k * std::sqrt(std::max(0.0, sq / n - mean * mean));
  }
  threshold_ = options_.factor * statistic;
}

const EnumNames<AdaptiveThresholdOptions::Rule>& adaptive_rule_names() {
  using Rule = AdaptiveThresholdOptions::Rule;
  static const EnumNames<Rule> names("rule",
                                     {{Rule::quantile, "quantile"}, {Rule::mean_std, "mean-std"}});
  return names;
}

AdaptiveThresholdOptions read_adaptive_threshold_options(ConfigNode& node) {
  AdaptiveThresholdOptions o;
  o.rule = node.get_enum("rule", o.rule, adaptive_rule_names());
  o.quantile = node.get<double>("quantile", o.quantile, in_range(0, 1));
  o.k = node.get<double>("k", o.k, in_range(0, 1000));
  o.factor = node.get<double>("factor", o.factor, greater_than(0));
  o.window = node.get<int64_t>("window", o.window, int_in_range(1, 10000000));
  o.warmup = node.get<int64_t>("warmup", o.warmup, int_in_range(1, 10000000));
  o.initial_threshold = node.get<double>("initial_threshold", o.initial_threshold, greater_than(0));
  o.reset_on_deploy = node.get<bool>("reset_on_deploy", o.reset_on_deploy);
  o.update_every = node.get<int64_t>("update_every", o.update_every, int_in_range(1, 1000000));
  if (o.warmup > o.window)
    node.fail("warmup", "warmup exceeds window: the window could never fill it");
  return o;
}

}  // namespace poisonsim
